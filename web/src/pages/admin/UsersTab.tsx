import { useCallback, useEffect, useState } from "react";
import { useSession } from "../../auth/session";
import { Alert, Button, Card, formatDate } from "../../components/ui";
import { ApiError, api } from "../../lib/http";
import type { AdminUser } from "../../lib/types";

export function UsersTab() {
  const { user: me } = useSession();
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => setUsers(await api.get<AdminUser[]>("/api/instances/users/")), []);
  useEffect(() => {
    void load();
  }, [load]);

  const setActive = async (id: string, is_active: boolean) => {
    setError(null);
    try {
      await api.patch(`/api/instances/users/${id}/`, { is_active });
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <Card title="Users">
      {error && <Alert tone="error">{error}</Alert>}
      <table className="table" data-testid="users">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Joined</th>
            <th>Last sign-in</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>
                {u.display_name} {u.is_instance_admin && <span className="badge">Admin</span>}
              </td>
              <td>{u.email}</td>
              <td>{formatDate(u.date_joined)}</td>
              <td>{formatDate(u.last_login_at)}</td>
              <td>{u.is_active ? "Active" : <span className="bad">Disabled</span>}</td>
              <td className="actions">
                {u.id !== me?.id &&
                  (u.is_active ? (
                    <Button variant="danger" onClick={() => void setActive(u.id, false)}>
                      Disable
                    </Button>
                  ) : (
                    <Button variant="secondary" onClick={() => void setActive(u.id, true)}>
                      Enable
                    </Button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
