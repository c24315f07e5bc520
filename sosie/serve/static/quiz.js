// The blind quiz: which of these answers did the person really give? Scored against chance.
"use strict";

const $ = (id) => document.getElementById(id);
const quiz = { cards: [], card: null, id: null, items: [], at: 0, answered: false };

function showScore(score) {
  if (!score.answered) {
    $("score").textContent = "";
    return;
  }
  const pct = (x) => `${Math.round(x * 100)}%`;
  $("score").textContent = `Score: ${score.correct} of ${score.answered} (${pct(score.accuracy)}; chance ${pct(score.chance)}; p = ${score.p_value.toFixed(3)} against guessing).`;
}

function showItem() {
  const item = quiz.items[quiz.at];
  quiz.answered = false;
  $("item").hidden = false;
  $("next").hidden = true;
  $("progress").textContent = `Question ${quiz.at + 1} of ${quiz.items.length}`;
  $("question").textContent = item.question;
  $("options").replaceChildren(...item.options.map((text, i) => {
    const button = Sosie.el("button", { type: "button", "data-option": i },
      Sosie.el("span", { class: "key", text: `${i + 1}.` }), text);
    button.addEventListener("click", () => pick(i));
    return Sosie.el("li", {}, button);
  }));
  $("options").querySelector("button").focus();
}

async function pick(index) {
  if (quiz.answered) return;
  quiz.answered = true;
  const result = await Sosie.api(`/api/personas/${quiz.card.slug}/quiz/${quiz.id}/answers`, {
    method: "POST", body: JSON.stringify({ item: quiz.items[quiz.at].item, pick: index }),
  });
  $("options").querySelectorAll("button").forEach((button, i) => {
    if (i === result.real) button.classList.add("real");
    else if (i === index) button.classList.add("wrong");
    const by = result.by[i] === "real" ? `the real ${quiz.card.name}` : `a simulation (${result.by[i]} engine)`;
    button.append(Sosie.el("span", { class: "by", text: by }));
  });
  $("status").textContent = result.correct ? "Right: that was the real answer." : "Not this one.";
  showScore(result.score);
  if (quiz.at + 1 < quiz.items.length) {
    $("next").hidden = false;
    $("next").focus();
  } else {
    $("status").textContent += " That was the last question.";
  }
}

async function startQuiz() {
  $("status").textContent = "";
  try {
    const made = await Sosie.api(`/api/personas/${quiz.card.slug}/quiz`, { method: "POST" });
    Object.assign(quiz, { id: made.quiz, items: made.items, at: 0 });
    showScore({ answered: 0 });
    showItem();
  } catch (error) {
    $("item").hidden = true;
    $("status").textContent = `Error: ${error.message}`;
  }
}

async function start() {
  document.addEventListener("keydown", (event) => {
    const n = Number(event.key);
    if (!$("item").hidden && n >= 1 && n <= quiz.items[quiz.at].options.length) pick(n - 1);
  });
  $("next").addEventListener("click", () => { quiz.at += 1; showItem(); });
  $("start").addEventListener("click", startQuiz);
  $("persona").addEventListener("change", () => {
    quiz.card = quiz.cards.find((c) => c.slug === $("persona").value);
    Sosie.showDisclosure(quiz.card);
  });
  try {
    quiz.cards = await Sosie.loadPersonas($("persona"));
    quiz.card = quiz.cards.find((c) => c.slug === $("persona").value);
    Sosie.showDisclosure(quiz.card);
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
  }
}

start();
