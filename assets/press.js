/* A still press on the map is a click, however long it was held.
 *
 * deck.gl (its gesture library, mjolnir.js) reads a press as a click only when pointer-up comes
 * within 250 ms of pointer-down. An operator at a touch wall holds a ship for longer than that,
 * and on a busy page (software WebGL compiling its picking shaders on the first press) the
 * release is handled late although the finger was quick: measured 346 ms between the two under
 * SwiftShader. Either way deck.gl saw "no click" and the ship's card did not open.
 *
 * This listens to the real (trusted) presses on the map's canvas. A press released within
 * MAX_MOVE_PX of where it went down but after deck.gl's limit is given to deck.gl again as a
 * quick press and release at the same point, which it reads as the click that was meant. A
 * press that moved (a pan) is left alone, and so is a quick one (deck.gl already took it).
 */
(function () {
  "use strict";
  var TAP_MS = 250;        // mjolnir.js's tap recognizer: the longest press it calls a click
  var MAX_MOVE_PX = 6;     // under its 9 px threshold: a press that moved more was a drag
  var down = null;

  function onMap(e) {
    var t = e.target;
    return t && t.tagName === "CANVAS" && t.closest && t.closest(".map-wrap") !== null;
  }

  function replay(target, e) {
    var init = {
      bubbles: true, cancelable: true, composed: true, view: window,
      clientX: e.clientX, clientY: e.clientY, screenX: e.screenX, screenY: e.screenY,
      pointerId: e.pointerId, pointerType: e.pointerType || "mouse", isPrimary: true,
      button: 0, buttons: 1, pressure: 0.5
    };
    target.dispatchEvent(new PointerEvent("pointerdown", init));
    init.buttons = 0;
    init.pressure = 0;
    target.dispatchEvent(new PointerEvent("pointerup", init));
  }

  document.addEventListener("pointerdown", function (e) {
    if (!e.isTrusted || !onMap(e) || (e.pointerType === "mouse" && e.button !== 0)) {
      return;
    }
    down = {x: e.clientX, y: e.clientY, at: performance.now(), target: e.target,
            id: e.pointerId};
  }, true);

  document.addEventListener("pointermove", function (e) {
    if (down && e.isTrusted && e.pointerId === down.id &&
        Math.hypot(e.clientX - down.x, e.clientY - down.y) > MAX_MOVE_PX) {
      down = null;                                   // a drag: deck.gl pans the map
    }
  }, true);

  document.addEventListener("pointerup", function (e) {
    var d = down;
    down = null;
    if (!d || !e.isTrusted || e.pointerId !== d.id) {
      return;
    }
    var held = performance.now() - d.at;         // as deck.gl measures it: when handled
    if (held <= TAP_MS || Math.hypot(e.clientX - d.x, e.clientY - d.y) > MAX_MOVE_PX) {
      return;
    }
    // after deck.gl has handled this release (its listener runs after this capture one)
    setTimeout(function () { replay(d.target, e); }, 0);
  }, true);

  document.addEventListener("pointercancel", function () { down = null; }, true);
})();
