// The proposal editor's live preview: each narrative textarea's Markdown is sent to the
// server, which answers with sanitised HTML (nh3); nothing typed is ever turned into HTML
// here. A file, not inline code: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var form = document.getElementById("narrative");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var token = form.getAttribute("data-csrf");
  var DELAY_MS = 400;

  function previewOf(textarea) {
    return document.querySelector('[data-preview-of="' + textarea.id + '"]');
  }

  function refresh(textarea) {
    var target = previewOf(textarea);
    if (!target) { return; }
    var body = new URLSearchParams();
    body.set("text", textarea.value);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        target.innerHTML = result.data.html;  // sanitised by the server
        target.classList.remove("text-danger");
      } else {
        target.textContent = result.data.error || "";
        target.classList.add("text-danger");
      }
    }).catch(function () { /* offline: keep the last preview */ });
  }

  form.querySelectorAll("textarea[data-preview]").forEach(function (textarea) {
    var timer = null;
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { refresh(textarea); }, DELAY_MS);
    });
  });
}());
