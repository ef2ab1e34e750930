// Picking a colour: a swatch that opens preset colours and a hex field.
import { useEffect, useState } from "react";
import { Dropdown } from "./overlay";

export const SWATCHES = ["#60646c", "#9aa4bc", "#3f76ff", "#0ea5e9", "#14b8a6", "#46a758", "#84cc16", "#f59e0b", "#f97316", "#ef4444", "#ec4899", "#a855f7"];

const HEX = /^#[0-9a-fA-F]{6}$/;

export function ColorPicker({ value, onChange, label = "Colour" }: { value: string; onChange: (color: string) => void; label?: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return (
    <Dropdown
      closeOnClick={false}
      className="color-popover"
      trigger={({ open, toggle }) => (
        <button type="button" className="swatch-button" aria-label={`${label}: ${value}`} aria-expanded={open} onClick={toggle} data-testid="color-picker">
          <span className="swatch" style={{ background: HEX.test(value) ? value : "#60646c" }} />
        </button>
      )}
    >
      {(close) => (
        <div className="color-panel">
          <div className="swatch-grid">
            {SWATCHES.map((color) => (
              <button
                key={color}
                type="button"
                className={color.toLowerCase() === value.toLowerCase() ? "swatch-choice swatch-choice-active" : "swatch-choice"}
                style={{ background: color }}
                aria-label={color}
                onClick={() => {
                  onChange(color);
                  close();
                }}
              />
            ))}
          </div>
          <div className="hex-row">
            <input
              type="color"
              aria-label="Custom colour"
              value={HEX.test(value) ? value : "#60646c"}
              onChange={(e) => onChange(e.target.value)}
            />
            <input
              className="hex-input"
              aria-label="Hex colour"
              value={text}
              maxLength={7}
              spellCheck={false}
              onChange={(e) => {
                const next = e.target.value.startsWith("#") ? e.target.value : `#${e.target.value}`;
                setText(next);
                if (HEX.test(next)) onChange(next);
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  close();
                }
              }}
            />
          </div>
        </div>
      )}
    </Dropdown>
  );
}
