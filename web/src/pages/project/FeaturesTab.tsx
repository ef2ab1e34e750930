// A project's features, switched on and off one at a time.
import { useState } from "react";
import { ErrorState, Loading, useToast } from "../../components/feedback";
import { Card, Toggle } from "../../components/ui";
import { api, asApiError } from "../../lib/http";
import type { ProjectFeatures } from "../../lib/types";
import { useResource } from "../../lib/useResource";
import type { ProjectProps } from "./ProjectSettings";

const FEATURES: { key: keyof ProjectFeatures; label: string; hint: string }[] = [
  { key: "cycles", label: "Cycles", hint: "Time-boxed iterations to plan and track a sprint's work." },
  { key: "modules", label: "Modules", hint: "Group work items into larger pieces of work with their own lead and dates." },
  { key: "views", label: "Views", hint: "Saved filters, shared with the project." },
  { key: "pages", label: "Pages", hint: "Documents and notes next to the work." },
  { key: "intakes", label: "Intake", hint: "A queue where anyone can propose work items for triage." },
  { key: "time_tracking", label: "Time tracking", hint: "Log the time spent on work items." },
];

export function FeaturesTab({ base, project, canManage }: ProjectProps) {
  const features = useResource<ProjectFeatures>(`${base}/features/`);
  const toast = useToast();
  const [saving, setSaving] = useState<keyof ProjectFeatures | null>(null);
  const editable = canManage && !project.archived_at;

  if (features.error) return <ErrorState error={features.error} what="the features of this project" />;
  if (!features.data) return <Loading />;
  const current = features.data;

  const toggle = async (key: keyof ProjectFeatures, value: boolean) => {
    setSaving(key);
    features.setData({ ...current, [key]: value });
    try {
      features.setData(await api.patch<ProjectFeatures>(`${base}/features/`, { [key]: value }));
      toast.success(`${FEATURES.find((f) => f.key === key)?.label} ${value ? "enabled" : "disabled"}.`);
    } catch (e) {
      features.setData(current);
      toast.error(asApiError(e).message);
    } finally {
      setSaving(null);
    }
  };

  return (
    <Card title="Features" description={editable ? "Turn on what this project uses; the others stay out of the way." : project.archived_at ? "The project is archived: features cannot change." : "Only project admins can change the features."}>
      <div className="feature-list" data-testid="features">
        {FEATURES.map((feature) => (
          <div key={feature.key} className={editable ? "feature-row" : "feature-row feature-disabled"} data-testid={`feature-${feature.key}`}>
            <Toggle label={feature.label} hint={feature.hint} checked={current[feature.key]} disabled={!editable} onChange={(value) => saving === null && void toggle(feature.key, value)} />
          </div>
        ))}
      </div>
    </Card>
  );
}
