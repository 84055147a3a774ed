// Live read-outs: the epoch counter, the losses, the play button, the connection indicator,
// the achieved speed (only while connected) and the message banner (with its close button).

/** 1234 -> "001,234" (TFP's counter: zero-padded to six digits, grouped by thousands). */
export function formatEpoch(epoch) {
  const digits = String(Math.max(0, Math.floor(epoch))).padStart(6, "0");
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function formatLoss(loss) {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? "–" : loss.toFixed(3);
}

/** Achieved training speed while running, e.g. "achieved 412/s"; empty otherwise. */
export function formatAchieved(frame) {
  if (!frame || frame.state !== "running" || !(frame.speed > 0)) return "";
  return `achieved ${Math.round(frame.speed).toLocaleString("en-US")}/s`;
}

export function bindStatus(root, store) {
  const epoch = root.querySelector("[data-epoch]");
  const achieved = root.querySelector("[data-achieved]");
  const testLoss = root.querySelector('[data-loss="test"]');
  const trainLoss = root.querySelector('[data-loss="train"]');
  const play = root.querySelector('[data-action="play"]');
  const connection = root.querySelector("[data-connection]");
  const connectionText = root.querySelector("[data-connection-text]");
  const banner = root.querySelector("[data-banner]");
  const bannerText = root.querySelector("[data-banner-text]");
  const training = root.querySelectorAll('[data-action="play"], [data-action="step"], [data-action="reset"], [data-action="regenerate"]');

  function showNumbers(values) {
    epoch.textContent = formatEpoch(values.epoch);
    testLoss.textContent = formatLoss(values.test);
    trainLoss.textContent = formatLoss(values.train);
  }

  function showState(state) {
    const running = state === "running";
    play.classList.toggle("playing", running);
    play.setAttribute("aria-label", running ? "Pause" : "Play");
    document.body.dataset.state = state;
  }

  // Frames carry the newest epoch and losses; JSON states can be older than the last frame.
  store.addEventListener("frame", () => {
    const f = store.frame;
    showNumbers({ epoch: f.epoch, test: f.testLoss, train: f.trainLoss });
    achieved.textContent = store.connection.state === "connected" ? formatAchieved(f) : "";
  });
  store.addEventListener("session", () => {
    const s = store.session;
    if (!store.frame) showNumbers({ epoch: s.epoch, test: s.test_loss, train: s.train_loss });
    showState(s.state);
  });
  store.addEventListener("connection", () => {
    const { state, text } = store.connection;
    connection.dataset.state = state;
    connectionText.textContent = text;
    if (state !== "connected") achieved.textContent = ""; // no claim about a server we lost
    for (const button of training) button.disabled = state !== "connected";
  });
  store.addEventListener("banner", () => {
    banner.hidden = !store.banner;
    bannerText.textContent = store.banner?.text ?? "";
    banner.dataset.tone = store.banner?.tone ?? "";
    clearTimeout(banner.timer);
    if (store.banner && store.banner.tone !== "warning") banner.timer = setTimeout(() => store.showBanner(null), 6000);
  });
  root.querySelector("[data-banner-close]").addEventListener("click", () => store.showBanner(null));
  for (const button of training) button.disabled = true;
}
