// Refreshes the dashboard's main region from the generator every few seconds, keeping
// the keyboard focus and the scroll positions. Without this script the page is complete
// and a <noscript> refresh reloads it.
(function () {
	"use strict";
	var main = document.getElementById("main");
	if (!main || !window.fetch) {
		return;
	}
	var url = main.getAttribute("data-fragment");
	var every = (parseInt(main.getAttribute("data-refresh"), 10) || 5) * 1000;
	var state = document.getElementById("refresh-state");
	var busy = false;

	// key names an element so that its counterpart in the new content can be found.
	function key(el) {
		if (el.id) {
			return { id: el.id };
		}
		if (el.getAttribute && el.getAttribute("href")) {
			return { href: el.getAttribute("href"), text: el.textContent };
		}
		return null;
	}

	function find(k) {
		if (k.id) {
			return document.getElementById(k.id);
		}
		var links = main.querySelectorAll("a[href]");
		for (var i = 0; i < links.length; i++) {
			if (links[i].getAttribute("href") === k.href && links[i].textContent === k.text) {
				return links[i];
			}
		}
		return null;
	}

	function swap(html) {
		var active = document.activeElement;
		var focused = active && active !== main && main.contains(active) ? key(active) : null;
		var scrolled = [];
		main.querySelectorAll(".scroll[id]").forEach(function (el) {
			scrolled.push({ id: el.id, left: el.scrollLeft, top: el.scrollTop });
		});
		var x = window.scrollX, y = window.scrollY;
		main.innerHTML = html;
		scrolled.forEach(function (s) {
			var el = document.getElementById(s.id);
			if (el) {
				el.scrollLeft = s.left;
				el.scrollTop = s.top;
			}
		});
		window.scrollTo(x, y);
		if (focused) {
			var el = find(focused);
			if (el) {
				el.focus({ preventScroll: true });
			}
		}
	}

	function report(text, failed) {
		if (state) {
			state.textContent = text;
			state.classList.toggle("warn", failed);
		}
	}

	function refresh() {
		if (busy || document.hidden) {
			return;
		}
		busy = true;
		fetch(url, { cache: "no-store", credentials: "same-origin" })
			.then(function (resp) {
				if (!resp.ok) {
					throw new Error("HTTP " + resp.status);
				}
				return resp.text();
			})
			.then(function (html) {
				swap(html);
				report("Updated " + new Date().toLocaleTimeString() + "; refreshes every " + every / 1000 + "s.", false);
			})
			.catch(function (err) {
				report("REFRESH FAILED (" + err.message + "); retrying every " + every / 1000 + "s.", true);
			})
			.finally(function () {
				busy = false;
			});
	}

	setInterval(refresh, every);
	document.addEventListener("visibilitychange", function () {
		if (!document.hidden) {
			refresh();
		}
	});
})();
