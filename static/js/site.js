// Progressive enhancement only: every page works without this file.
"use strict";

// --- Toggles: follow, like, bookmark (posts/_toggle.html, accounts/_follow_button.html) -------
// Each toggle is a POST form that works on its own; here it becomes a PUT (set) or DELETE
// (unset) on its API URL (data-api), and the label, state and count update without a reload.
(function () {
  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function render(form, on, data) {
    form.dataset.on = on ? "1" : "0";
    var button = form.querySelector("button");
    if (button) {
      button.classList.toggle("on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    var label = form.querySelector(".js-label");
    if (label) label.textContent = on ? form.dataset.labelOn : form.dataset.labelOff;
    var action = form.querySelector("input[name=action]");
    if (action) action.value = on ? action.dataset.whenOn : action.dataset.whenOff;
    var field = form.dataset.countField;
    if (field && data && data[field] !== undefined) {
      var target = form.dataset.countTarget
        ? document.getElementById(form.dataset.countTarget)
        : form.querySelector(".js-count");
      if (target) target.textContent = data[field];
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-toggle") || !form.dataset.api) return;
    if (!window.fetch) return;
    event.preventDefault();
    if (form.dataset.busy === "1") return;
    form.dataset.busy = "1";
    var wasOn = form.dataset.on === "1";
    fetch(form.dataset.api, {
      method: wasOn ? "DELETE" : "PUT",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var on = data[form.dataset.stateField];
        render(form, on === undefined ? !wasOn : Boolean(on), data);
      })
      .catch(function () {
        form.submit(); // fall back to the plain form post
      })
      .finally(function () {
        form.dataset.busy = "0";
      });
  });
})();

// --- Media: photos still processing (posts/_media_pending.html) --------------------------------
// A placeholder of the photo's shape asks GET /api/v1/media/<id>/ now and then and turns into the
// photo (srcset, width, height, alt, lazy) once it is ready, or shows the reason if it failed.
(function () {
  var MAX_WAIT_MS = 10 * 60 * 1000;

  function image(data, alt) {
    var variants = data.variants || {};
    var display = variants.display;
    var thumbnail = variants.thumbnail;
    if (!display) return null;
    var img = document.createElement("img");
    img.className = "media-image";
    img.src = data.animated || !thumbnail ? display.url : thumbnail.url;
    var sources = [display.url + " " + display.width + "w"];
    if (thumbnail && !data.animated) sources.unshift(thumbnail.url + " " + thumbnail.width + "w");
    img.srcset = sources.join(", ");
    img.sizes = "(max-width: 720px) 100vw, 688px";
    img.width = data.width;
    img.height = data.height;
    img.alt = data.alt_text !== undefined ? data.alt_text : alt || "";
    img.loading = "lazy";
    img.decoding = "async";
    var link = document.createElement("a");
    link.className = "media-link";
    link.href = display.url;
    link.appendChild(img);
    return link;
  }

  function poll(placeholder) {
    var url = placeholder.dataset.mediaPoll;
    var started = Date.now();
    var delay = 1500;

    function again() {
      if (Date.now() - started > MAX_WAIT_MS) return;
      delay = Math.min(delay * 1.5, 10000);
      window.setTimeout(check, delay);
    }

    function check() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 404) return null; // deleted meanwhile
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (!data) return;
          if (data.status === "ready") {
            var photo = image(data, placeholder.dataset.alt);
            if (photo) placeholder.replaceWith(photo);
          } else if (data.status === "failed") {
            placeholder.classList.add("media-failed");
            placeholder.removeAttribute("data-media-poll");
            var text = placeholder.querySelector("span") || placeholder;
            text.textContent = "This photo could not be processed: " + (data.error || "");
          } else {
            again();
          }
        })
        .catch(again);
    }

    window.setTimeout(check, delay);
  }

  // The post form: one description field per chosen photo, written into the "one line per
  // photo" textarea that the form posts (which still works on its own without this).
  function describePhotos(input) {
    var textarea = input.form && input.form.querySelector("textarea[name=alt_texts]");
    if (!textarea) return;
    var list = document.createElement("ol");
    list.className = "photo-descriptions";
    input.insertAdjacentElement("afterend", list);
    var maximum = Number(input.dataset.maxFiles || 10);

    function sync() {
      var fields = list.querySelectorAll("input");
      var lines = [];
      for (var i = 0; i < fields.length; i++) lines.push(fields[i].value.replace(/\s+/g, " "));
      textarea.value = lines.join("\n");
    }

    input.addEventListener("change", function () {
      list.textContent = "";
      var files = input.files || [];
      input.setCustomValidity(files.length > maximum ? "At most " + maximum + " photos." : "");
      for (var i = 0; i < files.length; i++) {
        var item = document.createElement("li");
        var label = document.createElement("label");
        label.textContent = "Description of " + files[i].name;
        var field = document.createElement("input");
        field.type = "text";
        field.maxLength = 1500;
        field.addEventListener("input", sync);
        label.appendChild(field);
        item.appendChild(label);
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
    var placeholders = document.querySelectorAll("[data-media-poll]");
    for (var i = 0; i < placeholders.length; i++) poll(placeholders[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
