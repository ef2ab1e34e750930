//! Ids from another workspace answer exactly like unknown ids, on every route that names one.

use uuid::Uuid;

use super::{
    People,
    routes::routes,
    world::{World, assert_unchanged, snapshot, world},
};
use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

on_both_engines!(
    ids_of_another_workspace_answer_like_unknown_ids,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let people = People::new(&app, "plane_api_00000000000000000000000000000000").await;
        // The owner's own world, and one in a workspace they also own but address through the
        // first workspace's slug (ids of another workspace), and made-up ids.
        let mine = world(&app, &people).await;
        let theirs = world(&app, &people).await;
        // A user who is a member of another workspace only stands in for this one's users: the
        // two worlds share their people, so their user ids alone would name members of both.
        app.workspace(&people.other_admin, "elsewhere-ids").await;
        let stranger = people.other_admin.user_id.clone();
        let foreign = World {
            slug: mine.slug.clone(),
            member_user: stranger.clone(),
            guest_user: stranger.clone(),
            spare_user: stranger.clone(),
            ..theirs.clone()
        };
        let ghost = |_: ()| World {
            slug: mine.slug.clone(),
            project: Uuid::now_v7().to_string(),
            second_project: Uuid::now_v7().to_string(),
            state: Uuid::now_v7().to_string(),
            label: Uuid::now_v7().to_string(),
            estimate: Uuid::now_v7().to_string(),
            point: Uuid::now_v7().to_string(),
            invitation: Uuid::now_v7().to_string(),
            link_invitation: Uuid::now_v7().to_string(),
            link_token: Uuid::new_v4().simple().to_string().repeat(2),
            link_email: "nobody@example.com".into(),
            member_user: Uuid::now_v7().to_string(),
            guest_user: Uuid::now_v7().to_string(),
            spare_user: Uuid::now_v7().to_string(),
            member_row: Uuid::now_v7().to_string(),
            guest_row: Uuid::now_v7().to_string(),
        };
        // Entity ids of the other workspace, under this workspace's real project.
        let foreign_entities = World {
            project: mine.project.clone(),
            second_project: mine.second_project.clone(),
            ..foreign.clone()
        };
        let ghost_entities = World {
            project: mine.project.clone(),
            second_project: mine.second_project.clone(),
            ..ghost(())
        };
        let owner = &people.owner;
        let mine_before = snapshot(owner, &mine).await;
        let theirs_before = snapshot(owner, &theirs).await;
        let mut compared = 0;
        // The invitation-link routes are not scoped by workspace: nothing to compare.
        for route in routes()
            .into_iter()
            .filter(|r| !r.open && r.session.is_none())
        {
            for (a, b) in [(&foreign, &ghost(())), (&foreign_entities, &ghost_entities)] {
                let path_a = (route.path)(a);
                let path_b = (route.path)(b);
                if path_a == (route.path)(&mine) {
                    continue; // the route names no id that differs
                }
                let one = owner
                    .send(route.method.clone(), &path_a, (route.body)(a))
                    .await;
                let other = owner
                    .send(route.method.clone(), &path_b, (route.body)(b))
                    .await;
                assert_eq!(
                    (one.status, &one.body),
                    (other.status, &other.body),
                    "{} {path_a} vs {path_b}",
                    route.method
                );
                assert!(
                    matches!(one.status.as_u16(), 400 | 403 | 404),
                    "{} {path_a}: {}",
                    route.method,
                    one.text
                );
                compared += 1;
            }
        }
        assert!(compared > 40, "compared {compared}");
        // Both workspaces are as they were.
        assert_unchanged(owner, &mine, &mine_before, "the other workspace's ids").await;
        assert_unchanged(owner, &theirs, &theirs_before, "its ids used elsewhere").await;
    }
);
