//! Archived projects are read-only, and a write checked before an archive that commits first
//! must still be refused: the write looks again once it holds the project's row. The requests'
//! own checks see the archive already, so the writes here go to the database layer directly,
//! as a request that passed its checks just before the archive would.

use plane_aio::db::{
    self,
    estimates::{CreateEstimateError, PointWrite},
    labels::SaveLabelError,
    project_members::{Changed, JoinRole, Joined, MemberChange, OnArchived},
    projects::Closed,
    states::{Deletion, SaveStateError},
};
use sea_orm::{ActiveValue::Set, IntoActiveModel};
use serde_json::json;
use uuid::Uuid;

use crate::{
    on_both_engines,
    project_data::setup,
    support::{Engine, TestApp},
};

fn id_of(value: &serde_json::Value) -> Uuid {
    value["id"].as_str().unwrap().parse().unwrap()
}

on_both_engines!(
    writes_that_find_the_project_archived_are_refused,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let (ada, bob, gus, project) = setup(&app).await;
        let state = bob
            .post(
                &format!("{project}/states/"),
                json!({"name": "Review", "color": "#123", "group": "started"}),
            )
            .await
            .expect(200);
        let label = bob
            .post(&format!("{project}/labels/"), json!({"name": "bug"}))
            .await
            .expect(201);
        let estimate = bob
            .post(
                &format!("{project}/estimates/"),
                json!({"name": "Points", "type": "points"}),
            )
            .await
            .expect(201);
        let point = bob
            .post(
                &format!(
                    "{project}/estimates/{}/estimate-points/",
                    estimate["id"].as_str().unwrap()
                ),
                json!([{"key": 1, "value": "1"}]),
            )
            .await
            .expect(201);
        let point_id = id_of(&point[0]);
        let dan = app.api_user("dan@example.com").await;
        app.add_member("acme", &dan, 15).await;
        let project_id: Uuid = project.rsplit('/').next().unwrap().parse().unwrap();
        let db = app.state.db();
        let states_before = db::states::count(db, project_id).await.unwrap();
        assert_eq!(
            ada.post(&format!("{project}/archive/"), json!({}))
                .await
                .status,
            204
        );

        let by: Uuid = bob.user_id.parse().unwrap();
        let now = db::now();
        let state = db::states::get(db, project_id, id_of(&state))
            .await
            .unwrap()
            .unwrap();
        let mut another = state.clone().into_active_model();
        another.id = Set(Uuid::now_v7());
        another.name = Set("Another".into());
        assert!(matches!(
            db::states::create(db, another.clone(), project_id, false).await,
            Err(SaveStateError::Archived)
        ));
        assert!(matches!(
            db::states::create(db, another, project_id, true).await,
            Err(SaveStateError::Archived)
        ));
        assert!(matches!(
            db::states::save(db, state.clone(), by, now, |s| s.name =
                Set("Renamed".into()))
            .await,
            Err(SaveStateError::Archived)
        ));
        assert_eq!(
            db::states::delete(db, project_id, state.id, by, now)
                .await
                .unwrap(),
            Deletion::Archived
        );

        let label = db::labels::get(db, project_id, id_of(&label))
            .await
            .unwrap()
            .unwrap();
        let mut child = label.clone().into_active_model();
        child.id = Set(Uuid::now_v7());
        child.name = Set("child".into());
        child.parent_id = Set(Some(label.id));
        assert!(matches!(
            db::labels::create(db, project_id, child).await,
            Err(SaveLabelError::Archived)
        ));
        assert!(matches!(
            db::labels::save(db, label.clone(), by, now, |l| l.name =
                Set("renamed".into()))
            .await,
            Err(SaveLabelError::Archived)
        ));
        assert_eq!(
            db::labels::soft_delete(db, label.clone(), by, now)
                .await
                .unwrap(),
            Err(Closed::Archived)
        );

        let estimate = db::estimates::of_project(db, project_id)
            .await
            .unwrap()
            .unwrap();
        let mut second = estimate.clone().into_active_model();
        second.id = Set(Uuid::now_v7());
        assert!(matches!(
            db::estimates::create(db, project_id, second).await,
            Err(CreateEstimateError::Closed(Closed::Archived))
        ));
        assert!(matches!(
            db::estimates::save(db, estimate.clone(), by, now, |e| e.name =
                Set("Renamed".into()))
            .await,
            Ok(Err(Closed::Archived))
        ));
        assert_eq!(
            db::estimates::soft_delete(db, estimate.clone(), by, now)
                .await
                .unwrap(),
            Err(Closed::Archived)
        );
        let point = db::estimates::point(db, estimate.id, point_id)
            .await
            .unwrap()
            .unwrap();
        let mut another_point = point.clone().into_active_model();
        another_point.id = Set(Uuid::now_v7());
        another_point.key = Set(2);
        assert!(matches!(
            db::estimates::add_points(db, &estimate, |_| Ok::<_, ()>(vec![another_point]))
                .await
                .unwrap(),
            PointWrite::Archived
        ));
        assert!(matches!(
            db::estimates::change_point(
                db,
                point.clone(),
                by,
                now,
                |_| Ok::<_, ()>(()),
                |p| p.value = Set("8".into())
            )
            .await
            .unwrap(),
            PointWrite::Archived
        ));
        assert_eq!(
            db::estimates::delete_point(db, point.clone(), by, now)
                .await
                .unwrap(),
            Err(Closed::Archived)
        );

        // Members: not added nor changed in an archived project; leaving stays possible.
        let project_row = db::projects::by_ids(db, &[project_id])
            .await
            .unwrap()
            .remove(0);
        let dan_id: Uuid = dan.user_id.parse().unwrap();
        let gus_id: Uuid = gus.user_id.parse().unwrap();
        assert!(matches!(
            db::project_members::join_live(
                db,
                &project_row,
                dan_id,
                JoinRole::AtMost(15),
                Some(by),
                now,
                OnArchived::Refuse
            )
            .await
            .unwrap(),
            Joined::Archived
        ));
        let gus_member = db::project_members::active(db, project_id, gus_id)
            .await
            .unwrap()
            .unwrap();
        for change in [MemberChange::Role(15), MemberChange::End] {
            let changed = db::project_members::change_keeping_an_admin(
                db,
                &gus_member,
                change,
                by,
                now,
                OnArchived::Refuse,
            )
            .await
            .unwrap();
            assert!(matches!(changed, Changed::Archived), "{change:?}");
        }
        assert_eq!(
            db::project_members::active(db, project_id, gus_id)
                .await
                .unwrap()
                .map(|m| m.role),
            Some(5)
        );
        assert!(
            db::project_members::active(db, project_id, dan_id)
                .await
                .unwrap()
                .is_none()
        );
        // Gus leaves, archived or not (over HTTP: the whole path allows it).
        assert_eq!(
            gus.post(&format!("{project}/members/leave/"), json!({}))
                .await
                .status,
            204
        );

        // Nothing was written: everything reads as it did before the archive.
        let kept = db::states::get(db, project_id, state.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.name.as_str(), kept.deleted_at), ("Review", None));
        assert_eq!(
            db::states::count(db, project_id).await.unwrap(),
            states_before
        );
        let kept = db::labels::get(db, project_id, label.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.name.as_str(), kept.deleted_at), ("bug", None));
        assert_eq!(db::labels::count(db, project_id).await.unwrap(), 1);
        let kept = db::estimates::of_project(db, project_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.id, kept.name.as_str()), (estimate.id, "Points"));
        let kept = db::estimates::points(db, estimate.id).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].value.as_str(), kept[0].deleted_at), ("1", None));

        // Unarchived, the same writes go through.
        assert_eq!(ada.delete(&format!("{project}/archive/")).await.status, 204);
        assert!(
            db::states::save(db, state, by, now, |s| s.name = Set("Renamed".into()))
                .await
                .is_ok()
        );
    }
);
