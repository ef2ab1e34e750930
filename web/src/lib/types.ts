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
