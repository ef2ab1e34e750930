import { useCallback, useEffect, useState } from "react";
import { api } from "../../lib/http";
import type { SettingRow } from "../../lib/types";

export type Settings = Record<string, SettingRow>;

/** The instance settings, and a way to save some of them (all or nothing on the server). */
export function useSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const load = useCallback(async () => {
    const rows = await api.get<SettingRow[]>("/api/instances/configurations/");
    setSettings(Object.fromEntries(rows.map((row) => [row.key, row])));
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const save = useCallback(async (changes: Record<string, string>) => {
    const rows = await api.patch<SettingRow[]>("/api/instances/configurations/", changes);
    setSettings(Object.fromEntries(rows.map((row) => [row.key, row])));
  }, []);
  return { settings, save, reload: load };
}

export function value(settings: Settings, key: string): string {
  return settings[key]?.value ?? "";
}
