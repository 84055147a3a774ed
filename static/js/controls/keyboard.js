// Shortcuts: space play/pause, right arrow one step, R reset. Typing in a field, or a
// focused control that uses the key itself, keeps the key. While the class's "Eyes on the
// teacher" notice shows (body.eyes-on-teacher, controls/room.js), no shortcut works.

const OWN_KEYS = "input, select, textarea, button, [contenteditable], [role=button], [role=radio], [role=switch]";

export function bindKeyboard(root, actions) {
  root.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.body.classList.contains("eyes-on-teacher")) return;
    if (e.target.closest?.(OWN_KEYS)) return;
    const action = { " ": "play", ArrowRight: "step", r: "reset", R: "reset" }[e.key];
    if (!action) return;
    e.preventDefault();
    actions[action]();
  });
  // A mouse click leaves no focus behind, so the next space bar press plays or pauses
  // instead of pressing the clicked button again. Keyboard users keep their focus.
  root.addEventListener("click", (e) => {
    const control = e.target.closest?.("button, input[type=range], input[type=checkbox]");
    if (control && e.detail > 0) control.blur();
  });
}
