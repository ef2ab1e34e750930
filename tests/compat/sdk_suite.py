"""Drives a plane-aio server with Plane's official Python SDK (`plane-sdk`, pinned in
requirements.txt, used unchanged): users, workspace members, invitations, projects, project
members, states, labels and estimates. Every response goes through the SDK's own pydantic
models; each check prints one line, and the first failure stops the run with the response.

Environment (the integration test `tests/it/compat.rs` sets it up):
  PLANE_BASE_URL        the server, e.g. http://127.0.0.1:8080
  PLANE_API_KEY         an API token of the workspace's owner
  PLANE_EMAIL           that user's e-mail
  WORKSPACE_SLUG        a workspace the owner owns, with no projects yet
  PLANE_MEMBER_API_KEY  an API token of a second user, a member (role 15) of the workspace
  PLANE_MEMBER_EMAIL    that user's e-mail

Run: python sdk_suite.py (exit 0 when every check passed, 1 at the first failure).
"""

from __future__ import annotations

import sys

# This folder is on sys.path when the file is run as a script.
import checks_project_data
import checks_projects
import checks_workspace
from harness import Run, check_pins, client, config


def main() -> int:
    check_pins()
    cfg = config()
    owner = client(cfg.base_url, cfg.api_key)
    member = client(cfg.base_url, cfg.member_api_key)

    ids = checks_workspace.users(cfg, owner, member)
    checks_workspace.members(cfg, owner, member, ids)
    checks_workspace.invitations(cfg, owner, member)
    project_id = checks_projects.projects(cfg, owner, member, ids)
    checks_project_data.states(cfg, owner, member, project_id)
    checks_project_data.labels(cfg, owner, member, project_id)
    checks_projects.project_members(cfg, owner, member, ids, project_id)
    checks_project_data.estimates(cfg, owner, member)

    print(f"passed: {Run.passed} checks", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
