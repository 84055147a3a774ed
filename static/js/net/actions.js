// The page's actions (buttons, keys, the plot, the hover card): messages to the server
// over the connection's socket (docs/protocol.md).

export function pageActions(connection, store) {
  const send = (type, body = {}) => connection.send({ type, ...body });
  return {
    play: () => send(store.session?.state === "running" ? "pause" : "play"),
    step: () => send("step"),
    step_d: () => send("step_d"), // a GAN's discriminator stage alone
    step_g: () => send("step_g"), // and its generator's
    reset: () => send("reset"),
    regenerate: () => send("regenerate"),
    setWeight: ({ layer, neuron, input, value }) => {
      const message = { layer, neuron, value };
      if (input !== undefined && input !== null) message.input = input;
      send("set_weight", message);
    },
    // your own points (docs/protocol.md): the weights and the epoch stay
    addPoint: (x, y, label, split = "train") => send("add_point", { x, y, label, split }),
    removePoint: (x, y) => send("remove_point", { x, y }),
    clearPoints: () => send("clear_points"),
  };
}
