// `/create-workspace`: the form on its own page (the switcher links here).
import { Card } from "../components/ui";
import { CreateWorkspaceForm } from "./workspace/CreateWorkspaceForm";
import { navigate } from "../router";

export function CreateWorkspacePage() {
  return (
    <div className="page page-form">
      <h1 className="page-title">Create a workspace</h1>
      <p className="muted page-lead">A workspace holds your team's projects and members. You become its owner and first admin.</p>
      <Card>
        <CreateWorkspaceForm onCancel={() => (window.history.length > 1 ? window.history.back() : navigate("/"))} />
      </Card>
    </div>
  );
}
