import { useEffect, useState } from "preact/hooks";

type Theme = "system" | "light" | "dark";
const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };

function stored(): Theme {
  try {
    const value = localStorage.getItem("labtasker-theme");
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

/** Light, dark, or the system's choice; remembered in this browser. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(stored);
  useEffect(() => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem("labtasker-theme", theme);
    } catch {
      // Storage refused (a private window): the choice lasts for this page.
    }
  }, [theme]);
  return (
    <button onClick={() => setTheme(NEXT[theme])} title="Theme: system, light or dark" aria-label={`Theme: ${theme}`}>
      {theme === "system" ? "◐ auto" : theme === "light" ? "☀ light" : "☾ dark"}
    </button>
  );
}
