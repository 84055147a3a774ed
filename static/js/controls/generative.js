// The page in a generative kind's mode: which parts show (the page's root carries
// data-kind), the settings form built from the server's description of each kind's
// fields (options.generative: choices, ranges, layer sizes), GAN Lab's presets, the
// losses' names, the divergences, and slow motion (one iteration stage by stage: D's
// map changes, then the generated points glide along their gradients).

const STAGE_PAUSE_MS = 900; // slow motion: time to look at each stage before the next

const GROUPS = {
  gan: [
    ["Data and noise", ["source", "noise_dim", "noise"]],
    ["Generator", ["g_hidden", "g_activation", "g_optimizer", "g_learning_rate"]],
    ["Discriminator", ["d_hidden", "d_activation", "d_optimizer", "d_learning_rate"]],
    ["Training", ["batch_size", "d_steps", "g_steps", "loss"]],
  ],
  autoencoder: [
    ["Data", ["source"]],
    ["Encoder", ["encoder", "encoder_activation"]],
    ["Decoder", ["decoder", "decoder_activation", "bottleneck"]],
    ["Training", ["optimizer", "learning_rate", "batch_size", "input_noise"]],
  ],
};
const LOSS_NAMES = {
  mlp: ["Test loss", "Training loss"],
  gan: ["Generator loss", "Discriminator loss"],
  autoencoder: ["Test error", "Training error"],
};
// how a choice's value reads on the page (the server's names are the link's and the API's)
const VALUE_TITLES = {
  adam: "Adam", sgd: "SGD", uniform: "Uniform", gaussian: "Gaussian", minimax: "Minimax",
  non_saturating: "Non-saturating", least_squares: "Least squares", relu: "ReLU", tanh: "Tanh",
  sigmoid: "Sigmoid", linear: "Linear",
};
const PRESET_TITLES = { balanced: "Balanced run", mode_collapse: "Mode collapse" };
const PRESET_TIPS = {
  balanced: "A GAN that learns the ring: both nets 2×16 ReLU, Adam, two D steps and one G step per iteration.",
  mode_collapse: "A generator that is too strong for its discriminator on three blobs: it keeps jumping between modes and covers fewer than three.",
};

const fmt = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

export function bindGenerative(root, store, actions, plot) {
  const settings = root.querySelector("[data-generative-settings]");
  const described = store.options.generative;
  const sourceTitle = Object.fromEntries(described.sources.map((s) => [s.name, s.title]));
  let built = null;

  function set(kind, field, value) {
    store.setConfig({ [kind]: { ...(store.config[kind] ?? described[kind].defaults), [field]: value } });
  }

  function control(kind, field) {
    const id = `${kind}-${field.name}`;
    const wrap = el("div", { className: "generative-field" });
    wrap.dataset.tip = field.description || field.title;
    wrap.dataset.generativeField = field.name;
    wrap.dataset.control = field.lock; // a teacher's lock (or a link's _hide) hides it
    const label = el("label", { htmlFor: id, textContent: field.title });
    if (field.type === "layers") {
      wrap.classList.add("layers");
      const box = el("div", { className: "layer-sizes", id });
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", field.title);
      wrap.append(el("span", { className: "label", textContent: field.title }), box);
      wrap.render = (sizes) => {
        const add = el("button", { type: "button", className: "round-button small", textContent: "+", disabled: sizes.length >= field.max_layers });
        add.setAttribute("aria-label", `Add a layer to the ${field.title.toLowerCase()}`);
        add.addEventListener("click", () => set(kind, field.name, [...sizes, 8]));
        const remove = el("button", { type: "button", className: "round-button small", textContent: "−", disabled: !sizes.length });
        remove.setAttribute("aria-label", `Remove a layer from the ${field.title.toLowerCase()}`);
        remove.addEventListener("click", () => set(kind, field.name, sizes.slice(0, -1)));
        const inputs = sizes.map((n, i) => {
          const input = el("input", { type: "number", min: 1, max: field.max_neurons, step: 1, value: String(n) });
          input.setAttribute("aria-label", `Neurons in layer ${i + 1}`);
          input.addEventListener("change", () => {
            const v = Math.round(Number(input.value));
            if (!(v >= 1 && v <= field.max_neurons)) {
              store.showBanner(`${field.title}: a layer has 1 to ${field.max_neurons} neurons, not ${input.value}`);
              input.value = String(n);
              return;
            }
            set(kind, field.name, sizes.map((s, j) => (j === i ? v : s)));
          });
          return input;
        });
        const count = el("span", { className: "note", textContent: sizes.length ? `${sizes.length} × ` : "no hidden layer" });
        box.replaceChildren(remove, add, count, ...inputs);
      };
      return wrap;
    }
    if (field.type === "choice") {
      const select = el("select", { id });
      for (const v of field.values) select.add(new Option(field.name === "source" ? sourceTitle[v] : (VALUE_TITLES[v] ?? String(v)), String(v)));
      select.addEventListener("change", () => {
        const numeric = typeof field.values[0] === "number";
        set(kind, field.name, numeric ? Number(select.value) : select.value);
      });
      wrap.append(label, select);
      wrap.render = (value) => {
        if (![...select.options].some((o) => o.value === String(value))) select.add(new Option(String(value), String(value)));
        select.value = String(value);
      };
      return wrap;
    }
    const input = el("input", { id, type: "number", min: field.min, max: field.max, step: field.type === "int" ? 1 : 0.1 });
    input.addEventListener("change", () => {
      const v = Number(input.value);
      const ok = input.value !== "" && v >= field.min && v <= field.max && (field.type !== "int" || Number.isInteger(v));
      if (!ok) {
        store.showBanner(`${field.title}: ${field.type === "int" ? "a whole number" : "a number"} from ${field.min} to ${field.max}, not “${input.value}”`);
        wrap.render(store.config[kind][field.name]);
        return;
      }
      set(kind, field.name, v);
    });
    wrap.append(label, input);
    wrap.render = (value) => {
      input.value = String(value);
    };
    return wrap;
  }

  function build(kind) {
    built = kind;
    const fields = Object.fromEntries(described[kind].fields.map((f) => [f.name, f]));
    const parts = [el("h2", { textContent: kind === "gan" ? "GAN" : "Autoencoder" })];
    if (kind === "gan") {
      const presets = el("div", { className: "presets" });
      presets.setAttribute("role", "group");
      presets.setAttribute("aria-label", "Presets");
      for (const [name, values] of Object.entries(described.gan.presets)) {
        const button = el("button", { type: "button", className: "basic-button", textContent: PRESET_TITLES[name] ?? name });
        button.dataset.preset = name;
        button.dataset.tip = PRESET_TIPS[name] ?? "";
        button.addEventListener("click", () => store.setConfig({ gan: { ...values } }));
        presets.append(button);
      }
      parts.push(presets);
    }
    for (const [title, names] of GROUPS[kind]) {
      const group = el("fieldset", { className: "generative-group" }, el("legend", { textContent: title }));
      for (const name of names) if (fields[name]) group.append(control(kind, fields[name]));
      if (names.includes("source")) {
        const own = el("p", { className: "note", textContent: "Learning your own points. Regenerate (in the data column) or another choice here goes back to a drawn distribution.", hidden: true });
        own.dataset.ownPoints = "";
        group.append(own);
      }
      parts.push(group);
    }
    settings.replaceChildren(...parts);
  }

  function render() {
    const kind = store.config.kind ?? "mlp";
    document.documentElement.dataset.kind = kind;
    const generative = kind !== "mlp";
    for (const node of root.querySelectorAll("[data-kind-only]")) node.hidden = node.dataset.kindOnly !== kind;
    root.querySelector("[data-generative-plot-column]").hidden = !generative;
    settings.hidden = !generative;
    // the dataset thumbnails pick the points only when the kind learns "the dataset"
    const source = generative ? (store.config[kind] ?? described[kind].defaults).source : "dataset";
    root.querySelector('[data-control="dataset"]').hidden = source !== "dataset";
    const [test, train] = LOSS_NAMES[kind] ?? LOSS_NAMES.mlp;
    root.querySelector("#test-loss-label").textContent = test;
    root.querySelector("#train-loss-label").textContent = train;
    root.querySelector("#epoch-label").textContent = kind === "gan" ? "Iteration" : "Epoch";
    const unit = kind === "gan" ? "iterations/s" : "epochs/s";
    for (const option of root.querySelectorAll("[data-speed] option")) {
      if (option.value !== "max") option.textContent = `${option.value} ${unit}`;
    }
    root.querySelector('[data-action="step"]').setAttribute("aria-label", kind === "gan" ? "Step one iteration" : "Step one epoch");
    if (!generative) return;
    root.querySelector("[data-generative-heading]").textContent = kind === "gan" ? "Real and generated points" : "Points and their reconstructions";
    root.querySelector("[data-generative-explain]").textContent =
      kind === "gan"
        ? "The generator turns noise into orange points; the discriminator colours the plane blue where it thinks points are real. Each learns against the other."
        : "Each point goes through the encoder into a code of one or two numbers, and the decoder turns the code back into a point (orange).";
    if (built !== kind) build(kind);
    const values = store.config[kind] ?? described[kind].defaults;
    for (const wrap of settings.querySelectorAll("[data-generative-field]")) wrap.render(values[wrap.dataset.generativeField]);
    // drawn or uploaded points replace the chosen distribution until another is picked
    const own = settings.querySelector("[data-own-points]");
    if (own) own.hidden = !store.session?.custom_data;
  }

  // -- the divergences ----------------------------------------------------------------------
  const js = root.querySelector('[data-divergence="js"]');
  const kl = root.querySelector('[data-divergence="kl"]');
  store.addEventListener("frame", () => {
    const f = store.frame;
    if (f?.kind !== "gan") return;
    js.textContent = fmt(f.meta.js);
    kl.textContent = fmt(f.meta.kl);
  });

  // -- slow motion ----------------------------------------------------------------------------
  const slow = root.querySelector("[data-slow-motion]");
  // slow motion under way, its pause, and the session's last state (Play ends it)
  const motion = { running: false, timer: null, state: null };
  const nextFrame = () => new Promise((resolve) => store.addEventListener("frame", resolve, { once: true }));
  async function stage(part) {
    const shown = nextFrame();
    if (part === "g") plot.animateNext();
    actions[part === "d" ? "step_d" : "step_g"]();
    await shown;
    await new Promise((resolve) => {
      motion.timer = setTimeout(resolve, STAGE_PAUSE_MS);
    });
  }
  async function loop() {
    while (motion.running && store.config.kind === "gan" && store.connection.state === "connected") {
      await stage("d");
      if (!motion.running) break;
      await stage("g");
    }
    stop();
  }
  function stop() {
    motion.running = false;
    clearTimeout(motion.timer);
    slow.setAttribute("aria-pressed", "false");
  }
  slow.addEventListener("click", () => {
    if (motion.running) return stop();
    if (store.session?.state === "running") actions.play(); // pauses live training first
    motion.running = true;
    slow.setAttribute("aria-pressed", "true");
    loop();
  });

  store.addEventListener("config", (e) => {
    if (e.detail.changed.includes("kind")) stop();
    render();
  });
  store.addEventListener("session", () => {
    // Play during slow motion: the session starts running, and live training takes over
    const state = store.session?.state;
    if (motion.running && state === "running" && motion.state !== "running") stop();
    motion.state = state;
    render();
  });
  render();
}
