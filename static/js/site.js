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

// What the page's script does to what the server draws (times, photo placeholders...), for the
// page once it is parsed and for each fragment swapped in later: each part registers its step.
var enhancements = [];

function enhance(root) {
  for (var i = 0; i < enhancements.length; i++) enhancements[i](root);
}

// The elements under `root` (and `root` itself) that match `selector`.
function within(root, selector) {
  var found = Array.prototype.slice.call(root.querySelectorAll(selector));
  if (root.matches && root.matches(selector)) found.unshift(root);
  return found;
}

function whenParsed(start) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
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

// --- Times (templates/core/_time.html) -------------------------------------------------------
// The server writes the exact time (pages are cached for an hour); here it reads as the time
// since then, in the page's language, and is kept fresh every minute.
var relativeTimes = (function () {
  if (!window.Intl || !Intl.RelativeTimeFormat || !Intl.DateTimeFormat) return null;
  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;
  var formats = null;

  function formatsFor(language) {
    function make(locale) {
      return {
        relative: new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" }),
        day: new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" }),
        dayOfYear: new Intl.DateTimeFormat(locale, {
          year: "numeric",
          month: "short",
          day: "numeric",
        }),
        exact: new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short" }),
      };
    }
    try {
      return make(language || undefined);
    } catch (error) {
      return make(undefined); // a language the browser does not know: its own
    }
  }

  function sameDay(a, b) {
    return (
      a.getFullYear() === b.getFullYear() &&
      a.getMonth() === b.getMonth() &&
      a.getDate() === b.getDate()
    );
  }

  // How a moment reads, the one rule for it: "now", "5 min. ago", "3 hr. ago", "yesterday",
  // then the day ("Mar 4"), with the year when it is not this one; ahead of now the same way
  // ("in 3 hr.", "tomorrow"). Within a minute is "now" either way: a clock a little behind
  // the server's must not make a new post "in 20 sec.".
  function describe(date, now, format) {
    var span = Math.abs(now - date);
    var direction = date > now ? 1 : -1;
    if (span < MINUTE) return format.relative.format(0, "second");
    if (span < HOUR) return format.relative.format(direction * Math.floor(span / MINUTE), "minute");
    if (span < DAY) return format.relative.format(direction * Math.floor(span / HOUR), "hour");
    var neighbour = new Date(now.getTime());
    neighbour.setDate(neighbour.getDate() + direction);
    if (sameDay(date, neighbour)) return format.relative.format(direction, "day");
    return (date.getFullYear() === now.getFullYear() ? format.day : format.dayOfYear).format(date);
  }

  function update(root) {
    formats = formats || formatsFor(document.documentElement.lang);
    var now = new Date();
    var times = within(root, "time[data-relative][datetime]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (isNaN(date.getTime())) continue;
      times[i].textContent = describe(date, now, formats);
      times[i].title = formats.exact.format(date); // in the reader's own time zone
    }
  }

  enhancements.push(update);
  window.setInterval(function () {
    update(document);
  }, MINUTE);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") update(document);
  });
  return { describe: describe, formatsFor: formatsFor };
})();

// --- Blurhash placeholders (templates/media/_image.html) -------------------------------------
// A ready photo carries its blurhash: a few colour components of the picture in base 83. It is
// drawn small into a canvas and shown behind the image until the image has loaded.
var blurhash = (function () {
  var DIGITS =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
  var SIDE = 32; // pixels on the long side: it is blurred anyway
  var drawn = {};

  function number(text, from, to) {
    var value = 0;
    for (var i = from; i < to; i++) {
      var digit = DIGITS.indexOf(text.charAt(i));
      if (digit < 0) throw new Error("Not a blurhash");
      value = value * 83 + digit;
    }
    return value;
  }

  // Colours are summed as light (linear), not as the sRGB numbers that encode them.
  function linear(byte) {
    var value = byte / 255;
    return value <= 0.04045 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
  }

  function srgb(light) {
    var value = Math.min(1, Math.max(0, light));
    var encoded = value <= 0.0031308 ? value * 12.92 : 1.055 * Math.pow(value, 1 / 2.4) - 0.055;
    return Math.round(encoded * 255);
  }

  // An AC component's channel was quantised to 0..18 around 9, on a square-root scale.
  function amount(quantised, largest) {
    var value = (quantised - 9) / 9;
    return (value < 0 ? -value * value : value * value) * largest;
  }

  // RGBA pixels (width x height) of `hash`, or null when it is not a blurhash.
  function decode(hash, width, height) {
    if (typeof hash !== "string" || hash.length < 6) return null;
    try {
      var size = number(hash, 0, 1);
      var columns = (size % 9) + 1;
      var rows = Math.floor(size / 9) + 1;
      if (hash.length !== 4 + 2 * columns * rows) return null;
      var largest = (number(hash, 1, 2) + 1) / 166;
      var average = number(hash, 2, 6);
      var colours = [[linear(average >> 16), linear((average >> 8) & 255), linear(average & 255)]];
      for (var k = 1; k < columns * rows; k++) {
        var value = number(hash, 4 + 2 * k, 6 + 2 * k);
        colours.push([
          amount(Math.floor(value / 361), largest),
          amount(Math.floor(value / 19) % 19, largest),
          amount(value % 19, largest),
        ]);
      }
    } catch (error) {
      return null;
    }
    var across = [];
    var down = [];
    for (var i = 0; i < columns; i++) {
      for (var x = 0; x < width; x++) across[i * width + x] = Math.cos((Math.PI * i * x) / width);
    }
    for (var j = 0; j < rows; j++) {
      for (var y = 0; y < height; y++) down[j * height + y] = Math.cos((Math.PI * j * y) / height);
    }
    var pixels = new Uint8ClampedArray(width * height * 4);
    for (y = 0; y < height; y++) {
      for (x = 0; x < width; x++) {
        var red = 0;
        var green = 0;
        var blue = 0;
        for (j = 0; j < rows; j++) {
          for (i = 0; i < columns; i++) {
            var weight = across[i * width + x] * down[j * height + y];
            var colour = colours[j * columns + i];
            red += colour[0] * weight;
            green += colour[1] * weight;
            blue += colour[2] * weight;
          }
        }
        var at = (y * width + x) * 4;
        pixels[at] = srgb(red);
        pixels[at + 1] = srgb(green);
        pixels[at + 2] = srgb(blue);
        pixels[at + 3] = 255;
      }
    }
    return pixels;
  }

  // A data: URL of the hash drawn in the photo's shape, or "" (no canvas, not a blurhash).
  function picture(hash, shapeWidth, shapeHeight) {
    var ratio = shapeWidth > 0 && shapeHeight > 0 ? shapeWidth / shapeHeight : 1;
    var width = ratio >= 1 ? SIDE : Math.max(1, Math.round(SIDE * ratio));
    var height = ratio >= 1 ? Math.max(1, Math.round(SIDE / ratio)) : SIDE;
    var key = hash + " " + width + "x" + height;
    if (key in drawn) return drawn[key];
    var pixels = decode(hash, width, height);
    var canvas = document.createElement("canvas");
    var context = pixels && canvas.getContext && canvas.getContext("2d");
    if (!context) return (drawn[key] = "");
    canvas.width = width;
    canvas.height = height;
    var image = context.createImageData(width, height);
    image.data.set(pixels);
    context.putImageData(image, 0, 0);
    return (drawn[key] = canvas.toDataURL());
  }

  function paint(root) {
    var images = within(root, "img[data-blurhash]");
    for (var i = 0; i < images.length; i++) {
      var image = images[i];
      if (image.complete && image.naturalWidth > 0) continue; // already there
      var url = picture(
        image.dataset.blurhash,
        Number(image.getAttribute("width")),
        Number(image.getAttribute("height"))
      );
      if (!url) continue;
      image.style.backgroundImage = 'url("' + url + '")';
      image.style.backgroundSize = "cover";
      image.style.backgroundPosition = "center";
      image.addEventListener("load", clear, { once: true });
    }
  }

  // Once loaded, a photo with transparent parts shows the page behind them, not the blur.
  function clear(event) {
    event.target.style.backgroundImage = "";
  }

  enhancements.push(paint);
  return { decode: decode };
})();

// --- Live updates (core/streams.py: server-sent events at the body's data-events-url) ---------
// One EventSource per page of a signed-in person. Each part registers what it does with an
// event of its kind; while the stream is open, nothing polls. A stream that cannot open (no
// EventSource, refused, or failing MAX_FAILURES times in a row) hands over to the polling that
// the parts do without it. The browser reconnects by itself (Last-Event-ID); the server then
// sends the state again, and the parts check what the stream may have missed meanwhile.
var liveUpdates = (function () {
  var MAX_FAILURES = 3;
  var body = document.body;
  var url = body && body.dataset.eventsUrl;
  var userId = body && body.dataset.userId;
  var live = Boolean(url && window.EventSource && window.fetch);
  var handlers = {};
  var fallbacks = [];
  var reopens = [];
  var source = null;
  var failures = 0;
  var opened = false;

  function call(list, argument) {
    for (var i = 0; i < list.length; i++) list[i](argument);
  }

  function giveUp() {
    if (source) source.close();
    if (!live) return;
    live = false;
    call(fallbacks);
  }

  function listen(kind) {
    source.addEventListener(kind, function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      call(handlers[kind], data);
    });
  }

  // `query`: what the page waits for, so that the server sends what finished before it listened.
  function start(query) {
    if (!live) return;
    source = new EventSource(url + (query ? "?" + query : ""));
    source.addEventListener("open", function () {
      failures = 0;
      if (opened) call(reopens);
      opened = true;
    });
    source.addEventListener("error", function () {
      failures += 1;
      if (source.readyState === EventSource.CLOSED || failures >= MAX_FAILURES) giveUp();
    });
    for (var kind in handlers) listen(kind);
  }

  return {
    // True while the stream is open or reconnecting: the parts wait for its events.
    live: function () {
      return live;
    },
    userId: userId,
    on: function (kind, handler) {
      (handlers[kind] = handlers[kind] || []).push(handler);
    },
    onFallback: function (handler) {
      fallbacks.push(handler);
    },
    onReopen: function (handler) {
      reopens.push(handler);
    },
    start: start,
  };
})();

// --- Photos still processing (posts/_photo_tile.html, media/_photo.html) ----------------------
// A placeholder is replaced by the same fragment drawn again, once its photo is ready or failed.
var processingPhotos = (function () {
  var MAX_WAIT_MS = 10 * 60 * 1000;

  // The person's own photos: while the live stream is open, each placeholder waits for the
  // "media" event of its id (data-media-id) and then asks for its fragment once; other
  // people's photos, and all of them without the stream, are asked for now and then.
  var waiting = {}; // media id: its placeholders on the page
  var askedAtStart = {}; // ids named in the stream's address: the server tells their state

  function waitsForEvent(placeholder) {
    return (
      liveUpdates.live() &&
      placeholder.dataset.mediaId &&
      placeholder.dataset.mediaOwner === liveUpdates.userId
    );
  }

  function swapIn(placeholder, html) {
    var fresh = parseFragment(html);
    if (!fresh) return false;
    if (fresh.hasAttribute("data-fragment-refresh")) return false; // still processing
    placeholder.replaceWith(fresh);
    enhance(fresh);
    return true;
  }

  function checkOnce(placeholder) {
    if (!placeholder.isConnected) return;
    fetchFragment(placeholder.dataset.fragmentRefresh)
      .then(function (html) {
        swapIn(placeholder, html);
      })
      .catch(function () {
        pollUntilReady(placeholder);
      });
  }

  function waitingPlaceholders(id) {
    var ids = id === undefined ? Object.keys(waiting) : [String(id)];
    var found = [];
    for (var i = 0; i < ids.length; i++) {
      var list = waiting[ids[i]] || [];
      for (var j = 0; j < list.length; j++) if (list[j].isConnected) found.push(list[j]);
    }
    return found;
  }

  liveUpdates.on("media", function (data) {
    var placeholders = waitingPlaceholders(data.id);
    delete waiting[String(data.id)];
    for (var i = 0; i < placeholders.length; i++) checkOnce(placeholders[i]);
  });
  liveUpdates.onReopen(function () {
    // The server told again about those it knows the page waits for; the others may have
    // finished while the stream was down.
    for (var id in waiting) {
      if (askedAtStart[id]) continue;
      var placeholders = waitingPlaceholders(id);
      delete waiting[id];
      for (var i = 0; i < placeholders.length; i++) checkOnce(placeholders[i]);
    }
  });
  liveUpdates.onFallback(function () {
    var placeholders = waitingPlaceholders();
    waiting = {};
    for (var i = 0; i < placeholders.length; i++) pollUntilReady(placeholders[i]);
  });

  function refreshWhenReady(placeholder) {
    if (placeholder.dataset.refreshing === "1") return;
    if (waitsForEvent(placeholder)) {
      placeholder.dataset.refreshing = "1";
      var id = placeholder.dataset.mediaId;
      (waiting[id] = waiting[id] || []).push(placeholder);
      return;
    }
    pollUntilReady(placeholder);
  }

  // What the stream's address names: the person's own placeholders drawn with the page.
  function waitingQuery() {
    var ids = [];
    var placeholders = document.querySelectorAll("[data-fragment-refresh][data-media-id]");
    for (var i = 0; i < placeholders.length && ids.length < 50; i++) {
      var id = placeholders[i].dataset.mediaId;
      if (placeholders[i].dataset.mediaOwner !== liveUpdates.userId || askedAtStart[id]) continue;
      askedAtStart[id] = true;
      ids.push(id);
    }
    return ids.length ? "media=" + ids.join(",") : "";
  }

  // The one place that brings a placeholder up to date without the stream, by asking for its
  // fragment now and then (the address is the placeholder's data-fragment-refresh) until it no
  // longer says it is processing.
  function pollUntilReady(placeholder) {
    if (placeholder.dataset.refreshing === "polling") return;
    placeholder.dataset.refreshing = "polling";
    var url = placeholder.dataset.fragmentRefresh;
    var started = Date.now();
    var delay = 1500;

    function again() {
      if (Date.now() - started > MAX_WAIT_MS) return;
      delay = Math.min(delay * 1.5, 10000);
      window.setTimeout(check, delay);
    }

    function check() {
      if (!placeholder.isConnected) return; // swapped out meanwhile (a viewer moved on)
      fetchFragment(url)
        .then(function (html) {
          if (!swapIn(placeholder, html) && parseFragment(html)) again();
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
      var tooMany = input.dataset.maxFilesText || "At most " + maximum + " photos.";
      input.setCustomValidity(files.length > maximum ? tooMany : "");
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

  enhancements.push(function (root) {
    if (!window.fetch) return;
    var placeholders = within(root, "[data-fragment-refresh]");
    for (var i = 0; i < placeholders.length; i++) refreshWhenReady(placeholders[i]);
  });

  whenParsed(function () {
    var inputs = document.querySelectorAll("input[type=file][name=images]");
    for (var j = 0; j < inputs.length; j++) describePhotos(inputs[j]);
  });
  return { waitingQuery: waitingQuery };
})();

// --- Direct uploads (posts/post_form.html, S3 storage only) -----------------------------------
// When the form names the API that starts a direct upload, each chosen photo goes straight to
// the bucket (a presigned POST), is completed, and the form posts its id (a hidden media_ids
// input cloned from the form's <template>) instead of the file: the web server never carries
// the bytes. Any failure posts the form as it is, files and all, and the server says what is
// wrong with them.
(function () {
  function apiPost(url, csrfToken, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken,
      },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function sendToStorage(upload, file) {
    var data = new FormData();
    Object.keys(upload.fields).forEach(function (name) {
      data.append(name, upload.fields[name]);
    });
    data.append("file", file); // last: S3 ignores fields after the file
    return fetch(upload.url, { method: "POST", body: data }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
    });
  }

  function uploadOne(form, csrfToken, file, altText) {
    var started = { content_type: file.type, size: file.size, alt_text: altText };
    return apiPost(form.dataset.directUpload, csrfToken, started).then(function (item) {
      return sendToStorage(item.upload, file).then(function () {
        var complete = form.dataset.completeUpload.replace("/0/", "/" + item.id + "/");
        return apiPost(complete, csrfToken).then(function () {
          return item.id;
        });
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.directUpload || !window.fetch || !window.Promise) return;
    var input = form.querySelector("input[type=file][name=images]");
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (!files.length) return;
    event.preventDefault();
    if (form.dataset.busy === "1") return;
    form.dataset.busy = "1";
    var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var textarea = form.querySelector("textarea[name=alt_texts]");
    var altTexts = textarea ? textarea.value.split("\n") : [];
    var uploads = files.map(function (file, i) {
      return uploadOne(form, csrfToken, file, (altTexts[i] || "").trim());
    });
    Promise.all(uploads)
      .then(function (ids) {
        var field = form.querySelector("template.js-uploaded-photo");
        ids.forEach(function (id) {
          var hidden = field.content.firstElementChild.cloneNode(true);
          hidden.value = id;
          form.appendChild(hidden);
        });
        input.value = ""; // the photos are in storage: the form posts their ids only
      })
      .catch(function () {})
      .then(function () {
        form.submit(); // not a submit event: this handler does not run again
      });
  });
})();

// --- Long texts (posts/_post_content.html) ---------------------------------------------------
// A card cuts a long text short with "more", a link to the post; here it opens in place. A text
// the card shows whole anyway (wide screens) loses its "more".
(function () {
  function open(body) {
    body.classList.remove("clamped");
    var more = body.id && document.querySelector('.post-more[aria-controls="' + body.id + '"]');
    if (more) more.remove();
  }

  enhancements.push(function (root) {
    var bodies = within(root, ".post-body.clamped");
    for (var i = 0; i < bodies.length; i++) {
      var body = bodies[i];
      if (body.clientHeight > 0 && body.scrollHeight <= body.clientHeight + 1) open(body);
    }
  });

  document.addEventListener("click", function (event) {
    var more = event.target.closest && event.target.closest(".post-more[aria-controls]");
    if (!more || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    var body = document.getElementById(more.getAttribute("aria-controls"));
    if (!body) return;
    event.preventDefault();
    open(body);
    body.tabIndex = -1; // reading goes on where the text was cut, not at the top of the page
    body.focus({ preventScroll: true });
  });
})();

// --- Photo viewer (posts/_photo_viewer.html) --------------------------------------------------
// A photo of a post links to its viewer page. Here the same viewer, asked for as a fragment,
// opens over the page in a modal dialog: Esc or the close button closes it and the photo that
// opened it has the focus again; arrow keys, swipes and its links move between the photos. The
// address is the viewer's while it is open, so Back closes it and a reload shows the page.
(function () {
  var current = null; // { dialog, opener, closedByHistory }
  var opening = false;
  var SWIPE_PX = 50;

  function plainClick(event) {
    var modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    return event.button === 0 && !modified;
  }

  function moveBy(rel) {
    if (!current || current.dialog.getAttribute("aria-busy") === "true") return;
    var dialog = current.dialog;
    var link = dialog.querySelector('.photo-viewer a[rel="' + rel + '"]');
    if (!link) return;
    var url = link.getAttribute("href");
    var hadFocus = dialog.querySelector(".photo-viewer").contains(document.activeElement);
    dialog.setAttribute("aria-busy", "true");
    fetchFragment(url)
      .then(function (html) {
        var fresh = parseFragment(html);
        var viewer = fresh && fresh.querySelector(".photo-viewer");
        if (!viewer) throw new Error("Not a photo viewer");
        dialog.querySelector(".photo-viewer").replaceWith(viewer);
        enhance(viewer);
        history.replaceState({ photoViewer: url }, "", url);
        if (hadFocus) {
          var next = viewer.querySelector('a[rel="' + rel + '"]') || viewer.querySelector("a[rel]");
          (next || dialog.querySelector(".photo-dialog-close")).focus();
        }
      })
      .catch(function () {
        window.location.assign(url);
      })
      .finally(function () {
        dialog.removeAttribute("aria-busy");
      });
  }

  function close() {
    if (current) current.dialog.close();
  }

  function closed() {
    var was = current;
    current = null;
    was.dialog.remove();
    if (was.opener && was.opener.isConnected) was.opener.focus();
    // The viewer's address leaves with it; when Back closed it, it already has.
    if (!was.closedByHistory) history.back();
  }

  // Tab from the last control comes back to the first (and Shift+Tab the other way round),
  // rather than leaving for the browser's own controls.
  function keepFocusIn(dialog, event) {
    var controls = Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button:not([disabled])"),
      function (control) {
        return control.getClientRects().length > 0; // shown
      }
    );
    if (!controls.length) return;
    var first = controls[0];
    var last = controls[controls.length - 1];
    var active = document.activeElement;
    if (event.shiftKey ? active === first || !dialog.contains(active) : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  function listen(dialog) {
    var swipe = null;
    var swiped = false;
    dialog.addEventListener("close", closed);
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Tab") return keepFocusIn(dialog, event);
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        moveBy(event.key === "ArrowLeft" ? "prev" : "next");
      }
    });
    dialog.addEventListener("pointerdown", function (event) {
      var onPhoto = event.target.closest(".photo-viewer-stage");
      swipe = event.pointerType !== "mouse" && event.isPrimary && onPhoto ? event : null;
    });
    dialog.addEventListener("pointercancel", function () {
      swipe = null;
    });
    dialog.addEventListener("pointerup", function (event) {
      if (!swipe) return;
      var across = event.clientX - swipe.clientX;
      var down = event.clientY - swipe.clientY;
      swipe = null;
      if (Math.abs(across) < SWIPE_PX || Math.abs(across) < 1.5 * Math.abs(down)) return;
      swiped = true;
      moveBy(across < 0 ? "next" : "prev");
    });
    dialog.addEventListener("click", function (event) {
      var target = event.target;
      var step = target.closest("a[rel=prev], a[rel=next]");
      if (step && plainClick(event)) {
        event.preventDefault();
        moveBy(step.getAttribute("rel"));
      } else if (target.closest(".photo-dialog-close, .photo-viewer-back") && plainClick(event)) {
        event.preventDefault();
        close();
      } else if (target === dialog || target.matches(".photo-viewer-stage, .photo-viewer-figure")) {
        if (!swiped) close(); // a tap beside the photo; the end of a swipe is not one
      }
      swiped = false;
    });
  }

  function show(url, opener, push) {
    if (opening || current) return;
    opening = true;
    fetchFragment(url)
      .then(function (html) {
        var dialog = parseFragment(html);
        if (!dialog || dialog.tagName !== "DIALOG") throw new Error("Not a photo viewer");
        document.body.appendChild(dialog);
        current = { dialog: dialog, opener: opener, closedByHistory: false };
        listen(dialog);
        enhance(dialog);
        dialog.showModal();
        if (push) history.pushState({ photoViewer: url }, "", url);
      })
      .catch(function () {
        window.location.assign(url); // the viewer's page says what went wrong
      })
      .finally(function () {
        opening = false;
      });
  }

  if (window.fetch && window.HTMLDialogElement && window.history && history.pushState) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".photo-tile a.media-link[href]");
      if (!link || !plainClick(event) || event.defaultPrevented) return;
      event.preventDefault();
      show(link.getAttribute("href"), link, true);
    });

    window.addEventListener("popstate", function (event) {
      if (current) {
        current.closedByHistory = true;
        current.dialog.close();
        return;
      }
      var url = event.state && event.state.photoViewer;
      if (!url) return;
      // Forward, back onto an address the viewer had: it opens again over the page.
      var path = url.split("/photos/")[0] + "/photos/";
      var opener = document.querySelector('.photo-tile a.media-link[href^="' + path + '"]');
      show(url, opener, false);
    });
  }

  // The viewer's own page: arrow keys go to the previous or next photo.
  document.addEventListener("keydown", function (event) {
    if (current || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var link = document.querySelector(
      '.photo-viewer-page a[rel="' + (event.key === "ArrowLeft" ? "prev" : "next") + '"]'
    );
    if (link) window.location.assign(link.href);
  });
})();

// --- Unread notifications (templates/posts/_unread_badge.html) --------------------------------
// The navigation's count, drawn with every page, is asked for again every few seconds (the
// badge's data-unread-poll) and whenever the tab comes back into view, and swapped in. Only
// refresh() knows how the new count arrives: a pushed one only has to call it.
var unreadNotifications = (function () {
  var timer = null;

  function badges() {
    return document.querySelectorAll("[data-unread-badge]");
  }

  function schedule() {
    var badge = badges()[0];
    if (!badge || liveUpdates.live()) return; // the stream tells instead
    var seconds = parseInt(badge.dataset.unreadPoll, 10) || 25;
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, seconds * 1000);
  }

  function refresh() {
    var badge = badges()[0];
    if (!badge || !window.fetch) return;
    if (document.visibilityState === "hidden" && !liveUpdates.live()) return; // asked once shown
    fetchFragment(badge.dataset.unreadUrl)
      .then(function (html) {
        var all = badges();
        for (var i = 0; i < all.length; i++) {
          var fresh = parseFragment(html);
          if (fresh) all[i].replaceWith(fresh);
        }
        schedule();
      })
      .catch(function () {
        // Offline, or logged out meanwhile: asked again only when the tab is shown again.
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !liveUpdates.live()) refresh();
  });
  // The stream's count (sent on every connect too): the badge is drawn again when it differs.
  liveUpdates.on("notifications", function (data) {
    var badge = badges()[0];
    if (badge && badge.dataset.unreadCount !== String(data.unread)) refresh();
  });
  liveUpdates.onFallback(schedule);
  whenParsed(schedule);
  return { refresh: refresh };
})();

// --- Download your data: the export's progress (templates/posts/_export_status.html) ---------
// The status card is asked for again and swapped in when an "export" event comes down the
// page's stream (and when the stream reconnects, for what it missed meanwhile); where no stream
// is open, every few seconds while the export runs. Without JavaScript the page reloads itself.
(function () {
  var POLL_MS = 2000;
  var timer = null;
  var busy = false;
  var again = false;

  function card() {
    return document.querySelector("[data-export-status]");
  }

  function running(element) {
    var status = element && element.dataset.exportStatus;
    return status === "pending" || status === "processing";
  }

  function schedule() {
    window.clearTimeout(timer);
    if (running(card()) && !liveUpdates.live()) timer = window.setTimeout(refresh, POLL_MS);
  }

  function refresh() {
    var current = card();
    if (!current || !window.fetch) return;
    if (busy) {
      again = true; // one more look once this one is in
      return;
    }
    busy = true;
    fetchFragment(current.dataset.fragmentUrl)
      .then(function (html) {
        var now = card();
        var fresh = now && replaceWith(now, html);
        if (fresh) enhance(fresh);
      })
      .catch(function () {})
      .finally(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        } else {
          schedule();
        }
      });
  }

  liveUpdates.on("export", refresh);
  liveUpdates.onReopen(refresh);
  liveUpdates.onFallback(schedule);
  whenParsed(schedule);
})();

whenParsed(function () {
  liveUpdates.start(processingPhotos.waitingQuery());
  enhance(document);
});
