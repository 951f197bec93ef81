// Runs in the reader's browser, inlined into every report page after ECharts. It turns the chart specs
// the server wrote (src/report/charts.ts) into ECharts options, and shows every instant in the reader's
// own time zone beside the UTC the page was written with. No network, no storage.
/* global echarts */
(function () {
  'use strict';
  const dataEl = document.getElementById('lab-data');
  /** @type {{ charts: any[] }} */
  const data = dataEl ? JSON.parse(dataEl.textContent || '{}') : { charts: [] };
  const PALETTE = ['#2a6fdb', '#d9483b', '#3aa76d', '#f08c2e', '#8e5cd9', '#1aa3b8', '#c2417f', '#7a8b99', '#b59b00', '#5d6fd6'];

  const pad = (n) => String(n).padStart(2, '0');
  /** Seconds relative to the origin as "T+3:05" / "T-1:30". */
  function relLabel(s) {
    const sign = s < 0 ? '-' : '+';
    const a = Math.abs(Math.round(s));
    const h = Math.floor(a / 3600);
    const m = Math.floor((a % 3600) / 60);
    return h ? `T${sign}${h}:${pad(m)}:${pad(a % 60)}` : `T${sign}${m}:${pad(a % 60)}`;
  }
  const localFmt = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  function utc(ms) {
    return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }
  function local(ms) {
    return localFmt.format(new Date(ms));
  }
  function fmtNum(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e4) return String(v);
    if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(2);
  }
  function timeHeader(x, t0) {
    let s = `<b>${relLabel(x)}</b>`;
    if (typeof t0 === 'number') {
      const ms = t0 + x * 1000;
      s += `<br><span class="tt-time">${utc(ms)}</span><br><span class="tt-time">${local(ms)}</span>`;
    }
    return s;
  }

  // Every <time data-ms> gets the reader's local time beside its UTC.
  for (const el of document.querySelectorAll('time[data-ms]')) {
    const ms = Number(el.getAttribute('data-ms'));
    if (!Number.isFinite(ms)) continue;
    el.setAttribute('title', `${utc(ms)}\n${local(ms)} (${zone})`);
    const span = document.createElement('span');
    span.className = 'local';
    span.textContent = local(ms);
    el.after(span);
  }
  for (const el of document.querySelectorAll('[data-zone]')) el.textContent = zone;

  function phaseSeries(spec) {
    const areas = (spec.bands || []).map((b) => [
      { xAxis: b.from, name: b.label, itemStyle: { color: b.color || 'rgba(0,0,0,0.05)' } },
      { xAxis: b.to },
    ]);
    const lines = (spec.marks || []).map((m) => ({ xAxis: m.at, name: m.label, lineStyle: { color: m.color || '#c0392b' } }));
    return {
      name: '__phases',
      type: 'line',
      data: [],
      silent: true,
      tooltip: { show: false },
      markArea: { silent: true, label: { show: true, position: 'insideTop', color: '#555', fontSize: 10 }, data: areas },
      markLine: {
        silent: false,
        symbol: ['none', 'none'],
        lineStyle: { type: 'dashed', width: 1.2 },
        label: { show: true, position: 'insideEndTop', formatter: '{b}', fontSize: 10, color: '#444' },
        data: lines,
      },
    };
  }

  function xAxis(spec) {
    return {
      type: 'value',
      min: spec.xMin !== undefined ? spec.xMin : 'dataMin',
      max: spec.xMax !== undefined ? spec.xMax : 'dataMax',
      axisLabel: { formatter: (v) => relLabel(v), hideOverlap: true },
      splitLine: { show: false },
      name: spec.t0 !== undefined ? 'time from the cut' : '',
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { color: '#777', fontSize: 11 },
    };
  }

  function timeOption(spec) {
    const scatter = spec.series.some((s) => s.type === 'scatter');
    const series = spec.series.map((s, i) => ({
      name: s.name,
      type: s.type || 'line',
      data: s.data,
      yAxisIndex: s.yAxis || 0,
      showSymbol: s.type === 'scatter',
      symbolSize: s.symbolSize || 4,
      step: s.step ? 'end' : false,
      stack: s.stack,
      sampling: s.type === 'scatter' ? undefined : 'lttb',
      areaStyle: s.area ? { opacity: s.stack ? 0.75 : 0.18 } : undefined,
      lineStyle: { width: 1.6, type: s.dashed ? 'dashed' : 'solid' },
      itemStyle: s.color ? { color: s.color } : undefined,
      color: s.color || PALETTE[i % PALETTE.length],
      emphasis: { focus: 'series' },
      large: s.type === 'scatter' && s.data.length > 2000,
    }));
    series.push(phaseSeries(spec));
    return {
      animation: false,
      color: PALETTE,
      grid: { left: 64, right: spec.yAxes.length > 1 ? 64 : 24, top: 40, bottom: 74 },
      legend: { type: 'scroll', top: 4, data: spec.series.map((s) => s.name) },
      tooltip: scatter
        ? {
            trigger: 'item',
            formatter: (p) => {
              const s = spec.series[p.seriesIndex];
              const t0 = s && s.t0 !== undefined ? s.t0 : spec.t0;
              return `${timeHeader(p.value[0], t0)}<br>${p.marker}${p.seriesName}: <b>${fmtNum(p.value[1])}</b>`;
            },
          }
        : {
            trigger: 'axis',
            axisPointer: { type: 'line' },
            formatter: (ps) => {
              const list = (Array.isArray(ps) ? ps : [ps]).filter((p) => p.seriesName !== '__phases');
              if (!list.length) return '';
              const first = spec.series[list[0].seriesIndex];
              const t0 = first && first.t0 !== undefined ? first.t0 : spec.t0;
              return [timeHeader(list[0].value[0], t0), ...list.map((p) => `${p.marker}${p.seriesName}: <b>${fmtNum(p.value[1])}</b>`)].join('<br>');
            },
          },
      xAxis: xAxis(spec),
      yAxis: spec.yAxes.map((a, i) => ({
        type: a.log ? 'log' : 'value',
        name: a.name,
        min: a.min,
        max: a.max,
        minInterval: a.integer ? 1 : undefined,
        position: i === 0 ? 'left' : 'right',
        nameTextStyle: { color: '#666', fontSize: 11, align: i === 0 ? 'left' : 'right' },
        axisLabel: { formatter: (v) => fmtNum(v) },
        splitLine: { show: i === 0, lineStyle: { color: '#eef0f3' } },
      })),
      dataZoom: [
        { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
        { type: 'slider', xAxisIndex: 0, height: 16, bottom: 8, filterMode: 'none', labelFormatter: (v) => relLabel(v) },
      ],
      series,
    };
  }

  function swimlaneOption(spec) {
    const states = Object.keys(spec.colors);
    const byState = states.map((st) => ({
      name: st,
      type: 'custom',
      renderItem: (params, api) => {
        const lane = api.value(0);
        const a = api.coord([api.value(1), lane]);
        const b = api.coord([api.value(2), lane]);
        const h = api.size([0, 1])[1] * 0.62;
        const rect = echarts.graphic.clipRectByRect(
          { x: a[0], y: a[1] - h / 2, width: Math.max(1, b[0] - a[0]), height: h },
          { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
        );
        return rect && { type: 'rect', shape: rect, style: { fill: spec.colors[st] } };
      },
      encode: { x: [1, 2], y: 0 },
      data: spec.segments.filter((s) => s.state === st).map((s) => [s.lane, s.from, s.to, s.state]),
      itemStyle: { color: spec.colors[st] },
    }));
    byState.push(Object.assign(phaseSeries(spec), { yAxisIndex: 0 }));
    return {
      animation: false,
      grid: { left: 170, right: 24, top: 36, bottom: 62 },
      legend: { top: 4, data: states },
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          if (!p.value || p.seriesType !== 'custom') return '';
          const [lane, from, to, state] = p.value;
          return `<b>${spec.lanes[lane]}</b>: ${state}<br>${relLabel(from)} → ${relLabel(to)} (${Math.round(to - from)} s)` +
            (spec.t0 !== undefined ? `<br><span class="tt-time">${utc(spec.t0 + from * 1000)}</span><br><span class="tt-time">${local(spec.t0 + from * 1000)}</span>` : '');
        },
      },
      xAxis: xAxis(spec),
      yAxis: { type: 'category', data: spec.lanes, inverse: true, axisTick: { show: false }, axisLabel: { fontSize: 11 } },
      dataZoom: [
        { type: 'inside', xAxisIndex: 0, filterMode: 'weakFilter' },
        { type: 'slider', xAxisIndex: 0, height: 16, bottom: 8, filterMode: 'weakFilter', labelFormatter: (v) => relLabel(v) },
      ],
      series: byState,
    };
  }

  function barOption(spec) {
    const cat = { type: 'category', data: spec.categories, axisLabel: { interval: 0, fontSize: 11, width: 140, overflow: 'truncate' } };
    const val = { type: 'value', name: spec.yName || '', axisLabel: { formatter: (v) => fmtNum(v) }, splitLine: { lineStyle: { color: '#eef0f3' } } };
    return {
      animation: false,
      color: PALETTE,
      grid: { left: spec.horizontal ? 160 : 64, right: 24, top: 36, bottom: 40 },
      legend: { top: 4, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => fmtNum(v) },
      xAxis: spec.horizontal ? val : cat,
      yAxis: spec.horizontal ? Object.assign({}, cat, { inverse: true }) : val,
      series: spec.bars.map((b) => ({
        name: b.name,
        type: 'bar',
        data: b.values,
        itemStyle: b.color ? { color: b.color } : undefined,
        label: { show: spec.bars.length === 1, position: spec.horizontal ? 'right' : 'top', formatter: (p) => fmtNum(p.value), fontSize: 10 },
      })),
    };
  }

  function spreadOption(spec) {
    const medians = spec.points.map((ps) => {
      const xs = ps.map((p) => p.value).filter((v) => typeof v === 'number').sort((a, b) => a - b);
      if (!xs.length) return null;
      const m = Math.floor(xs.length / 2);
      return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
    });
    const ranges = spec.points.map((ps, i) => {
      const xs = ps.map((p) => p.value).filter((v) => typeof v === 'number');
      return xs.length ? [i, Math.min(...xs), Math.max(...xs)] : [i, null, null];
    });
    const dots = [];
    spec.points.forEach((ps, i) => ps.forEach((p) => {
      if (typeof p.value === 'number') dots.push({ value: [i, p.value], run: p.run });
    }));
    return {
      animation: false,
      color: PALETTE,
      grid: { left: 64, right: 24, top: 36, bottom: 48 },
      legend: { top: 4, data: ['median', 'min–max', 'runs'] },
      tooltip: {
        trigger: 'item',
        formatter: (p) => p.seriesName === 'runs' ? `${p.data.run}: <b>${fmtNum(p.data.value[1])}</b>` :
          p.seriesName === 'median' ? `${spec.categories[p.dataIndex]} median: <b>${fmtNum(p.value)}</b>` :
          `${spec.categories[p.value[0]]}: ${fmtNum(p.value[1])} – ${fmtNum(p.value[2])}`,
      },
      xAxis: { type: 'category', data: spec.categories, axisLabel: { interval: 0, fontSize: 11, width: 150, overflow: 'break' } },
      yAxis: { type: 'value', name: spec.yName || '', axisLabel: { formatter: (v) => fmtNum(v) }, splitLine: { lineStyle: { color: '#eef0f3' } } },
      series: [
        { name: 'median', type: 'bar', data: medians, barWidth: '38%', itemStyle: { color: 'rgba(42,111,219,0.35)' } },
        {
          name: 'min–max', type: 'custom', data: ranges.filter((r) => r[1] !== null),
          renderItem: (params, api) => {
            const lo = api.coord([api.value(0), api.value(1)]);
            const hi = api.coord([api.value(0), api.value(2)]);
            const w = 10;
            return { type: 'group', children: [
              { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: '#1d2733', lineWidth: 1.4 } },
              { type: 'line', shape: { x1: lo[0] - w / 2, y1: lo[1], x2: lo[0] + w / 2, y2: lo[1] }, style: { stroke: '#1d2733', lineWidth: 1.4 } },
              { type: 'line', shape: { x1: hi[0] - w / 2, y1: hi[1], x2: hi[0] + w / 2, y2: hi[1] }, style: { stroke: '#1d2733', lineWidth: 1.4 } },
            ] };
          },
          encode: { x: 0, y: [1, 2] },
          itemStyle: { color: '#1d2733' },
        },
        { name: 'runs', type: 'scatter', data: dots, symbolSize: 8, itemStyle: { color: '#d9483b' }, z: 5 },
      ],
    };
  }

  const charts = [];
  let failed = 0;
  for (const spec of data.charts || []) {
    const el = document.getElementById(`chart-${spec.id}`);
    if (!el) {
      console.error(`no container for chart ${spec.id}`);
      failed++;
      continue;
    }
    try {
      const chart = echarts.init(el, null, { renderer: 'canvas' });
      const option = spec.kind === 'swimlane' ? swimlaneOption(spec) : spec.kind === 'bar' ? barOption(spec) : spec.kind === 'spread' ? spreadOption(spec) : timeOption(spec);
      chart.on('finished', () => el.setAttribute('data-rendered', '1'));
      chart.setOption(option);
      if (spec.kind === 'time' || spec.kind === 'swimlane') chart.group = spec.group || 'lab-time';
      charts.push(chart);
    } catch (err) {
      failed++;
      el.textContent = `This chart could not be drawn: ${err && err.message}`;
      el.classList.add('chart-error');
      console.error(err);
    }
  }
  // Zooming one timeline zooms them all: the cascade is read across charts.
  echarts.connect('lab-time');
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
  // For the browser test and for anyone scripting the page.
  window.__lab = { charts: charts.length, failed };
})();
