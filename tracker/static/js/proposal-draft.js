// The proposal editor keeps a draft of what is typed in this browser (localStorage, one
// key per application and user) and warns before leaving with unsaved changes. The editor
// works without it; the server keeps text posted after a session ended (auth/rescue.py).
(function () {
  "use strict";
  var form = document.getElementById("narrative");
  var notice = document.getElementById("draft-notice");
  if (!form || !notice || !window.localStorage || !window.JSON) { return; }
  var key = form.getAttribute("data-draft-key");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("textarea"));
  var SAVE_DELAY_MS = 500;
  var dirty = form.hasAttribute("data-unsaved");
  var submitting = false;
  var timer = null;

  function current() {
    var fields = {};
    boxes.forEach(function (box) { fields[box.name] = box.value; });
    return fields;
  }

  function same(a, b) {
    return boxes.every(function (box) { return (a[box.name] || "") === (b[box.name] || ""); });
  }

  function read() {
    try {
      var draft = JSON.parse(window.localStorage.getItem(key) || "null");
      return draft && draft.fields ? draft : null;
    } catch (error) { return null; }
  }

  function write() {
    try {
      window.localStorage.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(),
                                                         fields: current() }));
    } catch (error) { /* storage full or refused: the warning on leaving still holds */ }
  }

  function forget() { window.localStorage.removeItem(key); }

  function fill(fields) {
    boxes.forEach(function (box) {
      if (Object.prototype.hasOwnProperty.call(fields, box.name)) {
        box.value = fields[box.name];
        box.dispatchEvent(new Event("input", { bubbles: true }));  // refreshes the preview
      }
    });
  }

  var stored = current();  // what the server showed: the saved text, or a refused/rescued one
  var draft = read();
  if (draft && same(draft.fields, stored)) {
    // The draft is what the page shows: saved since (or brought back by the server).
    if (dirty) { write(); } else { forget(); }
  } else if (draft) {
    var when = new Date(draft.savedAt);
    var text = notice.getAttribute("data-text").replace(
      "{time}", isNaN(when) ? "" : when.toLocaleString(document.documentElement.lang || undefined));
    document.getElementById("draft-notice-text").textContent = text;
    notice.hidden = false;
    fill(draft.fields);
    dirty = true;
  } else if (dirty) {
    write();
  }

  document.getElementById("draft-discard").addEventListener("click", function () {
    forget();
    fill(stored);
    dirty = form.hasAttribute("data-unsaved");
    notice.hidden = true;
  });

  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA" || !event.isTrusted) { return; }
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(write, SAVE_DELAY_MS);
  });

  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
    write();  // kept until the saved page shows the same text
    submitting = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty || submitting) { return; }
    event.preventDefault();
    event.returnValue = "";  // browsers show their own words
  });
}());
