// Progressive enhancement only: every page works without this file. It never builds markup:
// it swaps in fragments that the server renders from the same templates as the pages.
"use strict";

// Ask for a fragment: the views answer "X-Fragment: 1" requests with the piece of page to
// swap in, instead of redirecting. Anything else (a redirect to log in, an error) rejects.
function fetchFragment(url, options) {
  options = options || {};
  options.credentials = "same-origin";
  options.headers = Object.assign({ "X-Fragment": "1", Accept: "text/html" }, options.headers);
  return fetch(url, options).then(function (response) {
    if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
    return response.text();
  });
}

function parseFragment(html) {
  var template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

function replaceWith(element, html) {
  var fresh = parseFragment(html);
  if (fresh) element.replaceWith(fresh);
  return fresh;
}

// --- Toggles: follow, like, bookmark (templates/core/_toggle.html) ----------------------------
// Each toggle is a POST form that works on its own; here it is posted in place and replaced by
// the toggle the view renders again. A count shown elsewhere (a profile's followers) follows.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-toggle") || !window.fetch) return;
    event.preventDefault();
    if (form.dataset.busy === "1") return;
    form.dataset.busy = "1";
    // getAttribute: the form's `action` property is its input named "action".
    fetchFragment(form.getAttribute("action"), { method: "POST", body: new FormData(form) })
      .then(function (html) {
        var fresh = replaceWith(form, html);
        var target = fresh && fresh.dataset.countTarget;
        var count = target && document.getElementById(target);
        if (count) count.textContent = fresh.dataset.count;
        var button = fresh && fresh.querySelector("button");
        if (button) button.focus();
      })
      .catch(function () {
        form.submit(); // the plain form post: the page says what went wrong
      })
      .finally(function () {
        form.dataset.busy = "0";
      });
  });
})();

// --- Photos still processing (templates/media/_photo.html) -----------------------------------
// A placeholder asks for its photo's fragment again now and then, and is replaced by it once
// the photo is ready (or failed, with the reason).
(function () {
  var MAX_WAIT_MS = 10 * 60 * 1000;

  function refresh(placeholder) {
    var url = placeholder.dataset.fragmentRefresh;
    var started = Date.now();
    var delay = 1500;

    function again() {
      if (Date.now() - started > MAX_WAIT_MS) return;
      delay = Math.min(delay * 1.5, 10000);
      window.setTimeout(check, delay);
    }

    function check() {
      fetchFragment(url)
        .then(function (html) {
          var fresh = parseFragment(html);
          if (fresh && fresh.hasAttribute("data-fragment-refresh")) return again();
          if (fresh) placeholder.replaceWith(fresh);
        })
        .catch(again);
    }

    window.setTimeout(check, delay);
  }

  // The post form: one description field per chosen photo (cloned from the form's <template>),
  // written into the "one line per photo" textarea that the form posts (which still works on
  // its own without this).
  function describePhotos(input) {
    var form = input.form;
    var textarea = form && form.querySelector("textarea[name=alt_texts]");
    var field = form && form.querySelector("template.js-photo-description");
    if (!textarea || !field) return;
    var list = document.createElement("ol");
    list.className = "photo-descriptions";
    input.insertAdjacentElement("afterend", list);
    var maximum = Number(input.dataset.maxFiles || 10);

    function sync() {
      var inputs = list.querySelectorAll("input");
      var lines = [];
      for (var i = 0; i < inputs.length; i++) lines.push(inputs[i].value.replace(/\s+/g, " "));
      textarea.value = lines.join("\n");
    }

    input.addEventListener("change", function () {
      list.textContent = "";
      var files = input.files || [];
      input.setCustomValidity(files.length > maximum ? "At most " + maximum + " photos." : "");
      for (var i = 0; i < files.length; i++) {
        var item = field.content.firstElementChild.cloneNode(true);
        item.querySelector(".js-file-name").textContent = files[i].name;
        item.querySelector("input").addEventListener("input", sync);
        list.appendChild(item);
      }
      textarea.closest("p").hidden = files.length > 0;
      sync();
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[type=file][name=images]");
    for (var j = 0; j < inputs.length; j++) describePhotos(inputs[j]);
    if (!window.fetch) return;
    var placeholders = document.querySelectorAll("[data-fragment-refresh]");
    for (var i = 0; i < placeholders.length; i++) refresh(placeholders[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
