type Props = { path: string; onHome: () => void };

export function NotFound({ path, onHome }: Props) {
  return (
    <div className="page narrow" data-testid="not-found">
      <h1>Page not found</h1>
      <p className="muted">
        There is nothing at <code>{path}</code>.
      </p>
      <button type="button" className="button" onClick={onHome}>
        Go to the home page
      </button>
    </div>
  );
}
