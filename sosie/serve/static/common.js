// Helpers shared by the interview room and the quiz. No framework, no build step.
"use strict";

const Sosie = {
  async api(path, options = {}) {
    const response = await fetch(path, {
      headers: { "content-type": "application/json" },
      credentials: "same-origin",
      ...options,
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      throw new Error(message);
    }
    return body;
  },

  // Reads a text/event-stream response; calls onEvent(name, data) for each event.
  async readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue; // keep-alive comment
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length) onEvent(name, JSON.parse(data.join("\n")));
      }
    }
  },

  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  },

  // Small print under an answer's disclosure: the model that produced it (the server words it).
  modelLine(answer) {
    const label = answer.model_label || "model not recorded (answered before Sosie recorded models)";
    return Sosie.el("small", { class: "model-line", text: `${label[0].toUpperCase()}${label.slice(1)}.` });
  },

  // The disclosure banner: the persona's own words for it, plus its consent status.
  showDisclosure(card) {
    const banner = document.getElementById("disclosure");
    banner.replaceChildren(
      Sosie.el("strong", { text: "Simulation. " }),
      card.disclosure,
      ` Consent: ${card.consent}${card.consent_note ? ` (${card.consent_note})` : ""}.`,
      card.fictional ? " This person is fictional." : "",
    );
  },

  async loadPersonas(select) {
    const cards = await Sosie.api("/api/personas");
    const wanted = new URLSearchParams(location.search).get("persona") || localStorage.getItem("sosie:persona");
    select.replaceChildren(...cards.map((c) => Sosie.el("option", { value: c.slug, text: c.name })));
    if (cards.some((c) => c.slug === wanted)) select.value = wanted;
    return cards;
  },
};
