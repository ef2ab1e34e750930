//! Workspace invitations: Plane's v1 routes, the mail sent through the job queue, answering by
//! the mailed link or signed in, and signing up when invited.

use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, PASSWORD, TestApp, api::ApiClient, browser::Browser},
};

/// The invitation id and token in a mailed link `…/invitations/<id>?token=<token>`.
fn link_in(mail: &str) -> (String, String) {
    let start = mail.find("/invitations/").expect("a link in the mail") + "/invitations/".len();
    let rest = &mail[start..];
    let id = rest[..36].to_string();
    let token_start = rest.find("token=").expect("a token") + "token=".len();
    let token: String = rest[token_start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{mail}");
    (id, token)
}

pub async fn invite(owner: &ApiClient, email: &str, role: i64) -> Value {
    owner
        .post(
            "/workspaces/acme/invitations/",
            json!({"email": email, "role": role}),
        )
        .await
        .expect(201)
}

on_both_engines!(
    an_invitation_is_mailed_and_accepted_by_link,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let instance_admin = app.admin().await;
        let sink = app.with_mail(&instance_admin).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;

        let created = invite(&owner, "Carol@Example.com", 15).await;
        let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "email",
                "role",
                "created_at",
                "updated_at",
                "responded_at",
                "accepted"
            ]
        );
        assert_eq!(created["email"], "carol@example.com");
        assert_eq!(created["role"], 15);
        assert_eq!(created["accepted"], false);
        assert_eq!(created["responded_at"], Value::Null);
        let id = created["id"].as_str().unwrap().to_string();

        // Plane's refusals.
        for (body, expected) in [
            (
                json!({"email": "carol@example.com"}),
                json!({"non_field_errors": ["Email already invited"]}),
            ),
            (
                json!({"email": "not-an-email"}),
                json!({"email": ["Invalid email address"]}),
            ),
            (
                json!({"email": "x@example.com", "role": 10}),
                json!({"role": ["\"10\" is not a valid choice."]}),
            ),
            (
                json!({"email": "owner@example.com"}),
                json!({"non_field_errors": ["User is already a member of the workspace"]}),
            ),
            (json!({}), json!({"email": ["This field is required."]})),
        ] {
            let answer = owner
                .post("/workspaces/acme/invitations/", body.clone())
                .await;
            assert_eq!(
                (answer.status.as_u16(), answer.body),
                (400, expected),
                "{body}"
            );
        }
        assert_eq!(
            owner
                .get("/workspaces/acme/invitations/")
                .await
                .expect(200)
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // The mail, sent by the job queue, carries the link.
        let mail = sink.wait_for(1).await;
        assert_eq!(mail.to, ["carol@example.com"]);
        let text = mail.decoded();
        assert!(text.contains("Workspace acme"), "{text}");
        let (link_id, token) = link_in(&text);
        assert_eq!(link_id, id);
        // Only the token's hash is stored.
        let stored =
            plane_aio::db::invitations::with_workspace(app.state.db(), id.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .0;
        assert_ne!(stored.token_hash, token);

        // Reading the invitation needs the token.
        let anonymous = Browser::new(&app.url(""));
        let wrong = anonymous
            .get(&format!(
                "/api/workspace-invitations/{id}/?token={}",
                "0".repeat(64)
            ))
            .await;
        assert_eq!(wrong.status(), 403);
        assert_eq!(
            wrong.json::<Value>().await.unwrap(),
            json!({"error": "You do not have permission to join the workspace"})
        );
        let preview: Value = anonymous
            .get(&format!("/api/workspace-invitations/{id}/?token={token}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(preview["workspace"]["slug"], "acme");
        assert_eq!(preview["email"], "carol@example.com");

        // Accepting needs the invited account, signed in.
        let answer = anonymous
            .post(
                &format!("/api/workspace-invitations/{id}/join/"),
                json!({"token": token, "accepted": true}),
            )
            .await;
        assert_eq!(answer.status(), 403);
        let someone_else = app.user("mallory@example.com").await;
        let answer = someone_else
            .post(
                &format!("/api/workspace-invitations/{id}/join/"),
                json!({"token": token, "accepted": true}),
            )
            .await;
        assert_eq!(answer.status(), 403);

        let carol = app.user("carol@example.com").await;
        let accepted = carol
            .post(
                &format!("/api/workspace-invitations/{id}/join/"),
                json!({"token": token, "accepted": true}),
            )
            .await;
        assert_eq!(accepted.status(), 200);
        assert_eq!(
            accepted.json::<Value>().await.unwrap()["message"],
            "Workspace Invitation Accepted"
        );
        let members = owner.get("/workspaces/acme/members/").await.expect(200);
        let carol_row = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "carol@example.com")
            .expect("carol is a member");
        assert_eq!(carol_row["role"], 15);
        assert_eq!(carol_row["is_active"], true);
        // Accepted, the invitation is gone, as Plane deletes it: from its link and from the
        // workspace's list (with the words of Plane's ViewSet 404).
        let again = carol
            .post(
                &format!("/api/workspace-invitations/{id}/join/"),
                json!({"token": token, "accepted": false}),
            )
            .await;
        assert_eq!(again.status(), 404);
        let gone = json!({"error": "The required object does not exist."});
        let path = format!("/workspaces/acme/invitations/{id}/");
        assert_eq!(owner.delete(&path).await.body, gone);
        assert_eq!(owner.get(&path).await.body, gone);
        let listed = owner.get("/workspaces/acme/invitations/").await.expect(200);
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["id"] != id.as_str()),
            "{listed}"
        );
        // Carol now works in the workspace through the API too.
        let carol_api = app.api_user("carol@example.com").await;
        assert_eq!(
            carol_api.get("/workspaces/acme/").await.expect(200)["role"],
            15
        );
    }
);

on_both_engines!(
    invitations_are_declined_changed_and_withdrawn,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let instance_admin = app.admin().await;
        let sink = app.with_mail(&instance_admin).await;
        let owner = app.api_user("owner@example.com").await;
        let member = app.api_user("member@example.com").await;
        app.workspace(&owner, "acme").await;
        app.add_member("acme", &member, 15).await;

        // Only workspace admins manage invitations.
        assert_eq!(
            member
                .post(
                    "/workspaces/acme/invitations/",
                    json!({"email": "x@example.com"})
                )
                .await
                .status,
            403
        );
        assert_eq!(
            member.get("/workspaces/acme/invitations/").await.status,
            403
        );

        let dave = invite(&owner, "dave@example.com", 5).await;
        let dave_id = dave["id"].as_str().unwrap();
        let path = format!("/workspaces/acme/invitations/{dave_id}/");
        assert_eq!(
            owner.patch(&path, json!({"role": 20})).await.expect(200)["role"],
            20
        );
        assert_eq!(
            owner
                .patch(&path, json!({"email": "other@example.com"}))
                .await
                .body,
            json!({"error": "Email cannot be updated after invite is created.", "code": "EMAIL_CANNOT_BE_UPDATED"})
        );
        assert_eq!(
            owner.get(&path).await.expect(200)["email"],
            "dave@example.com"
        );

        // Declining needs only the link.
        let (_, token) = link_in(&sink.wait_for(1).await.decoded());
        let anonymous = Browser::new(&app.url(""));
        let declined = anonymous
            .post(
                &format!("/api/workspace-invitations/{dave_id}/join/"),
                json!({"token": token, "accepted": false}),
            )
            .await;
        assert_eq!(declined.status(), 200);
        let after = owner.get(&path).await.expect(200);
        assert_eq!(after["accepted"], false);
        assert!(after["responded_at"].is_string());
        assert_eq!(
            owner.delete(&path).await.body,
            json!({"error": "Invite already responded", "code": "INVITE_ALREADY_RESPONDED"})
        );
        // A declined address can be invited again.
        invite(&owner, "dave@example.com", 15).await;

        // A pending invitation is withdrawn; its link then leads nowhere.
        let erin = invite(&owner, "erin@example.com", 15).await;
        let erin_id = erin["id"].as_str().unwrap();
        let (_, erin_token) = link_in(&sink.wait_for(3).await.decoded());
        assert_eq!(
            owner
                .delete(&format!("/workspaces/acme/invitations/{erin_id}/"))
                .await
                .status,
            204
        );
        assert_eq!(
            anonymous
                .get(&format!(
                    "/api/workspace-invitations/{erin_id}/?token={erin_token}"
                ))
                .await
                .status(),
            404
        );
        assert_eq!(
            owner
                .get(&format!("/workspaces/acme/invitations/{erin_id}/"))
                .await
                .status,
            404
        );
    }
);

on_both_engines!(
    without_mail_the_invitee_finds_the_invitation_signed_in,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        let created = invite(&owner, "frank@example.com", 5).await;
        let id = created["id"].as_str().unwrap();

        let frank = app.user("frank@example.com").await;
        let mine: Value = frank
            .get("/api/users/me/workspace-invitations/")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["workspace"]["slug"], "acme");
        // Who invited, named as the invitation's own page names them.
        let preview: Value = frank
            .get(&format!("/api/workspace-invitations/{id}/"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            mine[0]["invited_by"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{mine}"
        );
        assert_eq!(mine[0]["invited_by"], preview["invited_by"]);
        let accepted = frank
            .post(
                &format!("/api/workspace-invitations/{id}/join/"),
                json!({"accepted": true}),
            )
            .await;
        assert_eq!(accepted.status(), 200);
        let frank_api = app.api_user("frank@example.com").await;
        assert_eq!(frank_api.email, "frank@example.com");
        assert_eq!(
            frank_api.get("/workspaces/acme/").await.expect(200)["role"],
            5
        );
        let mine: Value = frank
            .get("/api/users/me/workspace-invitations/")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine, json!([]));
    }
);

on_both_engines!(
    an_invited_address_may_sign_up_when_sign_up_is_closed,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let instance_admin = app.admin().await;
        let sink = app.with_mail(&instance_admin).await;
        app.configure(&instance_admin, json!({"ENABLE_SIGNUP": "0"}))
            .await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;

        let stranger = Browser::new(&app.url(""));
        stranger
            .post(
                "/auth/magic-generate/",
                json!({"email": "stranger@example.com"}),
            )
            .await;
        invite(&owner, "grace@example.com", 15).await;
        sink.wait_for(1).await;
        assert_eq!(sink.messages().len(), 1, "no code for the stranger");

        // A guessed code tells nothing of who is invited: the same answer for both addresses.
        let mut answers = Vec::new();
        for email in ["stranger@example.com", "grace@example.com"] {
            let answer = stranger
                .post(
                    "/auth/sign-up/",
                    json!({"email": email, "password": PASSWORD, "code": "abcd-efgh-ijkl"}),
                )
                .await;
            answers.push((answer.status(), answer.json::<Value>().await.unwrap()));
        }
        assert_eq!(answers[0], answers[1]);
        assert_eq!(answers[0].0, 400, "{:?}", answers[0].1);
        let grace = Browser::new(&app.url(""));
        grace
            .post(
                "/auth/magic-generate/",
                json!({"email": "grace@example.com"}),
            )
            .await;
        let code = crate::email::code_in(&sink.wait_for(2).await.decoded());
        let answer = grace
            .post(
                "/auth/sign-up/",
                json!({"email": "grace@example.com", "password": PASSWORD, "code": code}),
            )
            .await;
        assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
        // Signed up, Grace finds and accepts the invitation.
        let mine: Value = grace
            .get("/api/users/me/workspace-invitations/")
            .await
            .json()
            .await
            .unwrap();
        let id = mine[0]["id"].as_str().unwrap().to_string();
        assert_eq!(
            grace
                .post(
                    &format!("/api/workspace-invitations/{id}/join/"),
                    json!({"accepted": true}),
                )
                .await
                .status(),
            200
        );
    }
);

on_both_engines!(
    one_address_gets_one_pending_invitation_even_when_invited_twice_at_once,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;

        let path = "/workspaces/acme/invitations/";
        let body = json!({"email": "dave@example.com", "role": 15});
        let (a, b, c, d) = tokio::join!(
            owner.post(path, body.clone()),
            owner.post(path, body.clone()),
            owner.post(path, body.clone()),
            owner.post(path, body.clone()),
        );
        let mut statuses: Vec<u16> = [&a, &b, &c, &d]
            .iter()
            .map(|answer| answer.status.as_u16())
            .collect();
        statuses.sort();
        assert_eq!(statuses, [201, 400, 400, 400]);
        for refused in [a, b, c, d].into_iter().filter(|x| x.status == 400) {
            assert_eq!(
                refused.body,
                json!({"non_field_errors": ["Email already invited"]})
            );
        }
        let listed = owner.get(path).await.expect(200);
        assert_eq!(listed.as_array().unwrap().len(), 1);

        // However the requests interleaved: the database itself holds one pending invitation
        // per address (what makes the answers above certain rather than likely).
        let db = app.state.db();
        let workspace = plane_aio::db::workspaces::by_slug(db, "acme")
            .await
            .unwrap()
            .unwrap();
        let again = plane_aio::db::invitations::create(
            db,
            plane_aio::db::invitations::NewInvitation {
                id: uuid::Uuid::now_v7(),
                workspace_id: workspace.id,
                email: "dave@example.com".into(),
                role: 15,
                token_hash: "0".repeat(64),
                message: None,
                by: owner.user_id.parse().unwrap(),
                mail: None,
            },
            plane_aio::db::now(),
        )
        .await;
        assert!(
            again
                .as_ref()
                .is_err_and(plane_aio::db::is_unique_violation),
            "{again:?}"
        );
    }
);
