import { AppHeader } from "./components/AppHeader";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { usePath } from "./router";
import { useReadiness } from "./useReadiness";

export function App() {
  const [path, navigate] = usePath();
  const readiness = useReadiness();
  return (
    <div className="app">
      <AppHeader readiness={readiness} onHome={() => navigate("/")} />
      <main className="app-main">
        {path === "/" ? <Home readiness={readiness} /> : <NotFound path={path} onHome={() => navigate("/")} />}
      </main>
      <footer className="app-footer">
        <span>Plane, served by plane-aio</span>
        <a href="/api/schema/swagger-ui/">API reference</a>
      </footer>
    </div>
  );
}
