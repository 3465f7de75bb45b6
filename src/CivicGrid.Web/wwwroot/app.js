// Sign staff out after 30 quiet minutes: the cookie slides on requests, but an open page keeps its circuit alive.
(function () {
    if (!document.getElementById('logout-form')) return;
    const idleMs = 30 * 60 * 1000;
    let timer;
    const reset = () => { clearTimeout(timer); timer = setTimeout(() => document.getElementById('logout-form')?.submit(), idleMs); };
    ['mousemove', 'keydown', 'click', 'touchstart', 'scroll'].forEach(e => window.addEventListener(e, reset, { passive: true }));
    reset();
})();

// Marks the page once its Blazor circuit is interactive; browser tests wait for it before clicking.
window.civicgrid = { circuitUp: () => { document.documentElement.dataset.circuit = 'up'; } };
