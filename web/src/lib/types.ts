// Shapes of the server's answers the UI reads.

export type User = {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  display_name: string;
  avatar: string;
  avatar_url: string | null;
  user_timezone: string;
  is_active: boolean;
  is_email_verified: boolean;
  is_password_autoset: boolean;
  is_instance_admin: boolean;
  last_login_medium: string | null;
  date_joined: string;
};

export type SignedIn = { user: User; is_new: boolean };

export type InstanceInfo = {
  instance: {
    id: string;
    instance_name: string;
    current_version: string;
    is_setup_done: boolean;
    domain: string;
  };
  config: {
    enable_signup: boolean;
    is_google_enabled: boolean;
    is_github_enabled: boolean;
    is_gitlab_enabled: boolean;
    is_gitea_enabled: boolean;
    is_oidc_enabled: boolean;
    oidc_display_name: string;
    is_magic_login_enabled: boolean;
    is_email_password_enabled: boolean;
    is_smtp_configured: boolean;
    file_size_limit: number;
    app_base_url: string;
    oauth_redirect_uris: Record<string, string>;
  };
};

export type SessionInfo = {
  id: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string;
  ip: string;
  medium: string;
  is_current: boolean;
};

export type ApiToken = {
  id: string;
  label: string;
  description: string;
  token_hint: string;
  is_active: boolean;
  last_used: string | null;
  expired_at: string | null;
  created_at: string;
};

export type CreatedApiToken = ApiToken & { token: string };

export type SettingRow = {
  key: string;
  value: string | null;
  category: string;
  is_encrypted: boolean;
  is_set: boolean;
};

export type AdminUser = {
  id: string;
  email: string;
  display_name: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_instance_admin: boolean;
  date_joined: string;
  last_login_at: string | null;
};

/** Plane's pagination envelope. */
export type Paged<T> = {
  results: T[];
  total_count: number;
  next_cursor: string;
  next_page_results: boolean;
};

/** 20 admin, 15 member, 5 guest. */
export type RoleCode = 20 | 15 | 5;

export type Workspace = {
  id: string;
  name: string;
  slug: string;
  owner: string;
  logo_url: string | null;
  organization_size: string | null;
  timezone: string;
  total_members: number;
  /** The caller's role. */
  role: number;
  created_at: string;
};

export type Member = {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  avatar: string;
  avatar_url: string | null;
  display_name: string;
  role: number;
  role_slug: string;
  is_active: boolean;
  is_bot: boolean;
};

export type Invitation = {
  id: string;
  email: string;
  role: number;
  created_at: string;
  updated_at: string;
  responded_at: string | null;
  accepted: boolean;
};

export type WorkspaceLite = { id: string; name: string; slug: string };

export type InvitationPreview = {
  id: string;
  email: string;
  role: number;
  accepted: boolean;
  responded_at: string | null;
  workspace: WorkspaceLite;
  invited_by: string | null;
};

export type InvitationAnswered = { message: string; workspace: WorkspaceLite };

export type Project = {
  id: string;
  name: string;
  identifier: string;
  description: string;
  /** 0 secret, 2 public. */
  network: number;
  total_members: number;
  is_member: boolean;
  member_role: number | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
  logo_props: { in_use?: string; icon?: { name?: string; color?: string }; emoji?: { value?: string } } | null;
  default_state: string | null;
  estimate: string | null;
  workspace: string;
};

export type ProjectFeatures = {
  cycles: boolean;
  modules: boolean;
  views: boolean;
  pages: boolean;
  intakes: boolean;
  time_tracking: boolean;
};

export type StateGroup = "backlog" | "unstarted" | "started" | "completed" | "cancelled";

export type ProjectState = {
  id: string;
  name: string;
  description: string;
  color: string;
  group: StateGroup | "triage";
  sequence: number;
  default: boolean;
};

export type Label = {
  id: string;
  name: string;
  description: string;
  color: string;
  parent: string | null;
  sort_order: number;
};

export type Estimate = {
  id: string;
  name: string;
  description: string;
  type: "categories" | "points" | "time";
  last_used: boolean;
};

export type EstimatePoint = {
  id: string;
  key: number;
  value: string;
  description: string;
};
