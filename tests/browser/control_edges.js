() => {
  // WCAG 1.4.11 for form controls: each visible, enabled control's edge against what is
  // behind it; returns up to three controls under 3:1.
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const behind = el => { for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.99) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const found = [];
  const controls = 'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=range]):not([type=color]):not([type=file]), select, textarea';
  document.querySelectorAll(controls).forEach(el => {
    const st = getComputedStyle(el);
    if (el.disabled || el.offsetParent === null || st.visibility === 'hidden') return;
    if (parseFloat(st.borderTopWidth) === 0) return;
    const back = behind(el), edge = rgb(st.borderTopColor);
    if (!edge) return;
    const mixed = {r: edge.r * edge.a + back.r * (1 - edge.a), g: edge.g * edge.a + back.g * (1 - edge.a),
                   b: edge.b * edge.a + back.b * (1 - edge.a)};
    const [hi, lo] = [lum(mixed), lum(back)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 3) found.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '[name=' + el.name + ']') + ' ' + ratio.toFixed(2) + ':1');
  });
  return found.slice(0, 3);
}
