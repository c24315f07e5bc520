// The panel: several doubles asked at once, answers side by side, then responding to each other.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { cards: [], panel: null, busy: false, shown: new Set() };

function chosen() {
  return [...document.querySelectorAll("#personas input:checked")].map((box) => box.value);
}

function setDownloads() {
  for (const format of ["md", "json"]) {
    const link = $(`download-${format}`);
    link.href = state.panel ? `/api/panels/${state.panel}/transcript?format=${format}` : "#";
    if (state.panel) link.removeAttribute("aria-disabled");
    else link.setAttribute("aria-disabled", "true");
  }
  $("respond").disabled = !state.panel;
}

// Every double's citations open a passage of that double's own persona, never another's.
async function openCitation(persona, citation) {
  $("citation-text").textContent = citation.text;
  const meta = $("citation-meta");
  meta.replaceChildren();
  const row = (term, value) => value && meta.append(Sosie.el("dt", { text: term }), Sosie.el("dd", { text: value }));
  try {
    const p = await Sosie.api(`/api/personas/${persona}/passages/${citation.passage_id}`);
    $("citation-text").textContent = p.text;
    row("Persona", persona);
    row("Source", p.path);
    row("Speaker", p.speaker);
    row("Date", p.date || "undated");
    row("Timestamp / page", p.locator);
    row("Characters", `${p.start}–${p.end}`);
  } catch (error) {
    row("Error", error.message);
  }
  $("citation").showModal();
}

function answerBox(turn, labels) {
  const box = Sosie.el("div", { class: turn.abstained ? "a abstained" : "a", "data-persona": turn.persona });
  const heard = (turn.responds_to || []).map((id) => labels[id]).filter(Boolean);
  box.append(Sosie.el("span", { class: "who", text: `${turn.label} · ${turn.engine} engine${heard.length ? ` · responding to ${heard.join(", ")}` : ""}` }));
  box.append(Sosie.el("p", { class: "disclosure-line", text: turn.disclosure }));
  box.append(Sosie.modelLine(turn));
  const body = Sosie.el("p", { class: "text" });
  turn.text.split(/\[(\d+)\]/).forEach((part, i) => {
    const citation = i % 2 ? turn.citations.find((c) => c.n === Number(part)) : null;
    if (!citation) return body.append(i % 2 ? `[${part}]` : part);
    const button = Sosie.el("button", { class: "cite", type: "button", "data-passage": citation.passage_id, text: `[${part}]`,
      "aria-label": `Source ${part} of ${turn.label}: ${citation.source.split("/").pop()}` });
    button.addEventListener("click", () => openCitation(turn.persona, citation));
    body.append(button);
  });
  box.append(body);
  if (turn.citations.length) {
    const list = Sosie.el("ol", { class: "sources", "aria-label": `Sources of ${turn.label}` });
    for (const c of turn.citations) list.append(Sosie.el("li", { value: c.n, text: `${c.source.split("/").pop()} — ${c.speaker}, ${c.date || "undated"}` }));
    box.append(list);
  }
  return box;
}

// New turns of the record: a prompt is a line; each round of answers is one row, side by side.
function render(record) {
  const labels = Object.fromEntries(record.turns.map((t) => [t.id, t.label]));
  let row = null;
  let rowKey = null;
  for (const turn of record.turns) {
    if (state.shown.has(turn.id)) continue;
    state.shown.add(turn.id);
    if (turn.kind !== "double") {
      const item = Sosie.el("li", { class: `prompt prompt-${turn.kind}` });
      item.append(Sosie.el("p", { class: "q", text: `${turn.label}: ${turn.text}` }));
      $("turns").append(item);
      row = null;
      continue;
    }
    const key = `${turn.exchange}-${turn.round}`;
    if (!row || rowKey !== key) {
      const item = Sosie.el("li", { class: "panel-round", "data-round": turn.round });
      item.append(Sosie.el("p", { class: "hint", text: turn.round === 1 ? "Answers" : `Round ${turn.round}: responding to each other` }));
      row = Sosie.el("div", { class: "side-by-side" });
      item.append(row);
      $("turns").append(item);
      rowKey = key;
    }
    row.append(answerBox(turn, labels));
  }
}

async function send(body, path) {
  state.busy = true;
  $("send").disabled = true;
  $("respond").disabled = true;
  $("status").textContent = "The panel is answering…";
  try {
    const record = await Sosie.api(path, { method: "POST", body: JSON.stringify(body) });
    state.panel = record.panel;
    render(record);
    $("status").textContent = "";
    return true;
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    return false;
  } finally {
    state.busy = false;
    $("send").disabled = false;
    setDownloads();
  }
}

async function submit(event) {
  event.preventDefault();
  let question = $("question").value.trim();
  if (!question || state.busy) return;
  const to = [...question.matchAll(/^@([a-z0-9][a-z0-9_-]*)\s*/g)].map((m) => m[1]);
  question = question.replace(/^(@[a-z0-9][a-z0-9_-]*\s*)+/, "").trim();
  const human = $("human").value.trim();
  const asHuman = human && $("as-human").checked;
  const ok = state.panel
    ? await send({ question, to: to.length ? to : null, speaker: asHuman ? human : null }, `/api/panels/${state.panel}/turns`)
    : await send({ personas: chosen(), question, engine: $("engine").value, human: human || null, to: to.length ? to : null }, "/api/panels");
  if (ok) $("question").value = "";
  $("question").focus();
}

function newPanel() {
  state.panel = null;
  state.shown.clear();
  $("turns").replaceChildren();
  setDownloads();
  $("status").textContent = "New panel: your next question starts it.";
}

function engines() {
  const picked = state.cards.filter((c) => chosen().includes(c.slug));
  const common = (picked[0] ? picked[0].engines : []).filter((e) => picked.every((c) => c.engines.includes(e)));
  $("engine").replaceChildren(...common.map((e) => Sosie.el("option", { value: e, text: e })));
}

async function start() {
  state.cards = await Sosie.api("/api/personas");
  for (const [i, card] of state.cards.entries()) {
    const box = Sosie.el("input", { type: "checkbox", value: card.slug, id: `persona-${card.slug}` });
    box.checked = i < 2;
    box.addEventListener("change", () => { engines(); newPanel(); });
    $("personas").append(Sosie.el("label", { for: `persona-${card.slug}` }, box, ` ${card.name} (simulated)`));
  }
  engines();
  $("human").addEventListener("input", () => { document.querySelector(".as-human").hidden = !$("human").value.trim(); });
  $("human").addEventListener("change", newPanel);
  $("engine").addEventListener("change", newPanel);
  $("ask").addEventListener("submit", submit);
  $("question").addEventListener("keydown", (event) => { if (event.key === "Enter" && !event.shiftKey) submit(event); });
  $("respond").addEventListener("click", () => send({ respond: true }, `/api/panels/${state.panel}/turns`));
  $("new").addEventListener("click", newPanel);
  setDownloads();
}

start().catch((error) => { $("status").textContent = `Error: ${error.message}`; });
