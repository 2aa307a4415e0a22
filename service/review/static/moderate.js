// Keyboard shortcuts of the moderator page. No framework, no build step.
//   j / k  select the next / previous item of the queue     o or Enter  open it
//   c / d  confirm / dismiss the selected item (or the item on its own page)
//   n      next pending item (item page)                     ?  focus the filters
(function () {
  "use strict";
  var selected = -1;

  function items() { return Array.prototype.slice.call(document.querySelectorAll("#queue > li.item")); }

  function select(index) {
    var list = items();
    if (!list.length) { return; }
    selected = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (li, i) { li.classList.toggle("selected", i === selected); });
    list[selected].scrollIntoView({ block: "nearest" });
  }

  function currentForm() {
    var list = items();
    if (list.length) {
      if (selected < 0) { select(0); }
      return list[selected].querySelector("form.verdict");
    }
    return document.querySelector("form.verdict");
  }

  function submit(verdict) {
    var form = currentForm();
    if (!form) { return; }
    var button = form.querySelector('button[name="verdict"][value="' + verdict + '"]');
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "input" || tag === "textarea" || tag === "select") {
      return;
    }
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "o": case "Enter":
        var list = items();
        if (list.length && selected >= 0) { window.location = list[selected].dataset.href; } else { return; }
        break;
      case "c": submit("confirm"); break;
      case "d": submit("dismiss"); break;
      case "n":
        var next = document.getElementById("next-item");
        if (next) { window.location = next.href; } else { return; }
        break;
      case "?":
        var first = document.querySelector("#filters select, #filters input");
        if (first) { first.focus(); } else { return; }
        break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { if (items().length) { select(0); } });
})();
