// The spotlight: one student's network full size, live, in an overlay over the wall (the
// playground page at /?follow=<session>, read-only until the teacher presses its "Take
// control"). The room's spotlight setting follows it, so the student's page knows.

export function bindSpotlight(root, teacher, fail) {
  const overlay = root.querySelector("[data-spotlight]");
  const frame = root.querySelector("[data-spotlight-frame]");
  const title = root.querySelector("[data-spotlight-title]");
  const closeButton = root.querySelector("[data-spotlight-close]");
  let opener = null;

  function close() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    frame.src = "about:blank";
    document.body.classList.remove("spotlight-open");
    teacher.patch({ spotlight: "" }).catch((e) => fail(e, "end the spotlight"));
    opener?.focus();
  }
  closeButton.addEventListener("click", close);
  overlay.addEventListener("keydown", (e) => e.key === "Escape" && close());

  return {
    open(member, name) {
      opener = document.activeElement;
      title.textContent = `Spotlight: ${name}`;
      frame.src = `/?follow=${encodeURIComponent(member.session)}`;
      overlay.hidden = false;
      document.body.classList.add("spotlight-open");
      closeButton.focus();
      teacher.patch({ spotlight: member.session }).catch((e) => fail(e, "spotlight the student"));
    },
    close,
  };
}
