/* Playback animation, in the browser: the play head advances here every tick; the server is
   asked for data only when the head enters a new window (callbacks/playback.py). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  porttwin: Object.assign({}, (window.dash_clientside || {}).porttwin, {

    playbackAdvance: function (nTick, slider, nPlay, speed, head, windowIndex) {
      const nu = window.dash_clientside.no_update;
      const trig = (window.dash_clientside.callback_context.triggered || [])
        .map(t => t.prop_id.split(".")[0]);
      const h = Object.assign({}, head);
      const now = performance.now();
      if (trig.includes("p-play")) {
        h.playing = !h.playing;
        h.wall = now;
      } else if (trig.includes("p-speed")) {
        h.speed = speed;
      } else if (trig.includes("p-slider") && Math.abs(slider - h.t) > 1) {
        h.t = slider;                                   // the user moved the slider
      } else if (trig.includes("p-tick")) {
        if (!h.playing) {
          return [nu, nu, windowIndex === null ? 0 : nu, nu];
        }
        const dt = Math.min(1000, now - (h.wall || now)) / 1000;
        h.t = Math.min(h.duration, h.t + dt * h.speed);
        if (h.t >= h.duration) { h.playing = false; }
      }
      h.wall = now;
      const index = Math.floor(h.t / h.window_s);
      return [h, Math.round(h.t), index === windowIndex ? nu : index,
              h.playing ? h.labels.pause : h.labels.play];
    },

    playbackWindowData: function (data) {
      return {"p-trips": data ? data.trips : []};
    },

    playbackRender: function (head, data, base) {
      const layers = base.specs.slice();
      const moment = new Date((head.t0 + head.t) * 1000);
      const clock = moment.toLocaleString(head.lang === "zh" ? "zh-CN" : "en-US",
        {timeZone: head.tz, year: "numeric", month: "2-digit", day: "2-digit",
         hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short"});
      if (!data) { return [layers, clock, ""]; }
      const ct = head.t - data.index * head.window_s;   // seconds into the window
      // vessel positions at the head: interpolated between the two fixes around it
      const heads = [];
      for (const trip of data.trips) {
        const ts = trip.timestamps;
        if (!ts.length || ct < ts[0] || ct > ts[ts.length - 1] + 600) { continue; }
        let lo = 0, hi = ts.length - 1;
        while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (ts[mid] <= ct) lo = mid; else hi = mid; }
        let p = trip.path[lo];
        if (ct > ts[lo] && hi > lo && ct <= ts[hi]) {
          const f = (ct - ts[lo]) / Math.max(1e-6, ts[hi] - ts[lo]);
          p = [p[0] + f * (trip.path[hi][0] - p[0]), p[1] + f * (trip.path[hi][1] - p[1])];
        } else if (ct > ts[hi]) { p = trip.path[hi]; }
        heads.push({position: p, color: trip.color, mmsi: trip.mmsi});
      }
      const occupied = data.stays.filter(s => s.from <= ct && ct < s.to && base.berths[s.berth])
        .map(s => ({path: base.berths[s.berth]}));
      const alerts = data.alerts.filter(a => a.from <= ct && ct <= a.to && a.lon !== null);
      layers.push(
        {"@@type": "PathLayer", id: "p-berths", data: occupied, getPath: "@@=path",
         getColor: [255, 167, 38, 255], widthUnits: "pixels", getWidth: 4, capRounded: true},
        // the trips' data reaches the map once per window (playbackWindowData, layerData);
        // each frame only moves the layer's currentTime
        {"@@type": "TripsLayer", id: "p-trips", getPath: "@@=path",
         getTimestamps: "@@=timestamps", getColor: "@@=color", currentTime: ct,
         trailLength: head.trail_s, fadeTrail: true, widthMinPixels: 2, capRounded: true,
         jointRounded: true},
        {"@@type": "ScatterplotLayer", id: "p-vessels", data: heads, getPosition: "@@=position",
         getFillColor: "@@=color", getRadius: 40, radiusMinPixels: 3.5, stroked: true,
         getLineColor: [8, 24, 42, 255], lineWidthMinPixels: 1},
        {"@@type": "ScatterplotLayer", id: "p-alerts", data: alerts,
         getPosition: "@@=[lon, lat]", getLineColor: [255, 23, 68, 255], filled: false,
         stroked: true, getRadius: 250, radiusMinPixels: 10, lineWidthMinPixels: 2});
      const state = head.labels.state.replace("{vessels}", heads.length)
        .replace("{berths}", occupied.length).replace("{alerts}", alerts.length);
      const names = alerts.slice(0, 4).map(a => (head.rules[a.rule] || a.rule) +
        (a.mmsi ? " · " + a.mmsi : "")).join(" | ");
      return [layers, clock, state + (names ? " — " + names : "")];
    },
  }),
});
