#!/usr/bin/env python3
"""Build src/sim/apec_table.inc: CIE plasma emissivities per unit emission measure (n_e n_H V) from CHIANTI 10.1.

Usage: python3 tools/make_apec_table.py [--atomic ../shared/data/atomic] [--out src/sim/apec_table.inc]
Needs numpy (a tool dependency only). Physics and approximations: docs/physics.md, section "apec".

Continuum (per temperature, cell-integrated on a fixed log energy grid, photons cm^3 s^-1 per cell):
  free-free  : all ions of Z = 1-30 in chianti.ioneq, charge^2 scaling, Itoh et al. (2000) relativistic Gaunt
               factors inside their validity (log T 6-8.5, -4 <= log u <= 1), van Hoof et al. (2014) elsewhere;
  free-bound : Milne relation; ground level of each recombined ion from the Verner et al. (1996) fit
               (continuum/verner_short.txt), the empty rest of the valence shell n0 and the shells
               n0+1..N_MAX_FB as hydrogenic shells with Karzas-Latter bound-free Gaunt factors
               (continuum/klgfb_n.dat, l-averaged);
  two-photon : 2s (H-like) and 2 1S0 (He-like) decays of Si, S, Ar, Ca, Fe, Ni from the level populations
               below, spectral shape from continuum/h(e)seq_2photon.dat.
Lines: statistical equilibrium at n_e = 1 cm^-3 per ion (elvlc, wgfa, scups with Burgess-Tully descaling as in
CHIANTI) times ion fraction (chianti.ioneq) and angr abundance, plus recombination from the next ion: radiative
(hydrogenic shell rates, split over levels by weight) and dielectronic (Badnell drparams totals fed into the
autoionising levels present in elvlc, whose radiative decays give the satellites and cascades).
"""
import argparse
import math
import os
import re
import sys

import numpy as np

# ---- physical constants (cgs / keV) ----
C_CM_S = 2.99792458e10
ME_C2_KEV = 510.99895
RY_KEV = 13.605693123e-3
K_KEV_PER_K = 8.617333262e-8
INVCM_TO_KEV = 1.239841984e-7
H_ERG_S = 6.62607015e-27
E_ESU = 4.80320471e-10
ME_G = 9.1093837e-28
K_ERG_PER_K = 1.380649e-16
KEV_ERG = 1.602176634e-9

# ---- grids ----
N_TEMP = 46
KT_MIN_KEV, KT_MAX_KEV = 0.3, 25.0
N_NODE = 601                     # energy nodes -> N_NODE-1 cells
E_MIN_KEV, E_MAX_KEV = 0.01, 300.0
N_SUB = 16                       # quadrature points per cell
N_MAX_FB = 12                    # highest hydrogenic shell for free-bound
N_E_DENSITY = 1.0                # cm^-3, low-density (coronal) limit
LINE_REL_CUT = 2e-3              # keep a line if it reaches this fraction of its ion's total line photons
LINE_E_MIN_KEV = 0.1
LINE_MERGE_REL = 0.005           # a dropped line's photons go to the nearest kept line of its ion within 0.5%
DR_AUTO_N2 = 5e13                # s^-1, typical KLL autoionisation rate of K-shell satellites (scaled as n^-3)

LINE_IONS = [(14, 13), (14, 14), (16, 15), (16, 16), (18, 17), (18, 18), (20, 19), (20, 20),
             (26, 24), (26, 25), (26, 26), (28, 27), (28, 28)]
SYMBOL = {14: "si", 16: "s", 18: "ar", 20: "ca", 26: "fe", 28: "ni"}
ELEMENTS = ["H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
            "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn"]


def read_abundances(path, table="angr"):
    rows = [ln.split() for ln in open(path) if ln.strip() and not ln.startswith("#")]
    col = rows[0].index(table)
    return {ELEMENTS.index(r[0]) + 1: float(r[col]) for r in rows[1:] if r[0] in ELEMENTS}


def read_ioneq(path):
    lines = open(path).read().splitlines()
    ntemp, nel = (int(x) for x in lines[0].split()[:2])
    log_t = np.array([float(x) for x in lines[1].split()])
    assert log_t.size == ntemp, "ioneq temperature count mismatch"
    frac = {}
    for ln in lines[2:]:
        if ln.split()[0] == "-1":
            break
        # fixed width (I3, I3, E10.3 per temperature): adjacent values can touch
        vals = [float(ln[6 + 10 * i:16 + 10 * i]) for i in range(ntemp)]
        frac[(int(ln[0:3]), int(ln[3:6]))] = np.array(vals)
    return log_t, frac


def ion_fraction(ioneq, z, stage, log_t):
    """Ion fraction interpolated linearly in log10(fraction) vs log10 T."""
    grid, frac = ioneq
    f = frac.get((z, stage))
    if f is None:
        return np.zeros_like(log_t)
    lf = np.log10(np.maximum(f, 1e-40))
    return np.where(np.interp(log_t, grid, lf) < -39, 0.0, 10 ** np.interp(log_t, grid, lf))


# ---------------- free-free ----------------
def ff_constant():
    """6.84e-38: erg s^-1 cm^3 Hz^-1 K^1/2 (Rybicki & Lightman 5.14b), total power per n_e n_i."""
    return 32 * math.pi * E_ESU ** 6 / (3 * ME_G * C_CM_S ** 3) * math.sqrt(2 * math.pi / (3 * K_ERG_PER_K * ME_G))


def read_itoh(path):
    vals = np.array([float(x) for x in open(path).read().split()])
    assert vals.size == 30 * 121, "itoh.dat: expected 30 x 121 coefficients"
    # per charge: 11 x 11, file order: j (temperature power) slow, i (frequency power) fast
    return vals.reshape(30, 11, 11)


def read_vanhoof(path):
    hdr, data = [], []
    for ln in open(path):
        if ln.startswith("#"):
            continue
        if len(hdr) < 6:
            hdr.append(ln.split("#")[0].split())
            continue
        data.extend(float(x) for x in ln.split())
    n_g2, n_u = int(hdr[1][0]), int(hdr[1][1])
    lg2_0, lu_0, step = float(hdr[2][0]), float(hdr[3][0]), float(hdr[4][0])
    table = np.array(data[:n_g2 * n_u]).reshape(n_u, n_g2)
    return dict(table=table, lg2_0=lg2_0, lu_0=lu_0, step=step)


def vanhoof_gaunt(vh, charge, kt_kev, e_kev):
    lg2 = math.log10(charge ** 2 * RY_KEV / kt_kev)
    lu = np.log10(e_kev / kt_kev)
    tab = vh["table"]
    x = np.clip((lg2 - vh["lg2_0"]) / vh["step"], 0, tab.shape[1] - 1.000001)
    y = np.clip((lu - vh["lu_0"]) / vh["step"], 0, tab.shape[0] - 1.000001)
    ix, iy = int(x), y.astype(int)
    fx, fy = x - ix, y - iy
    return ((1 - fy) * ((1 - fx) * tab[iy, ix] + fx * tab[iy, ix + 1])
            + fy * ((1 - fx) * tab[iy + 1, ix] + fx * tab[iy + 1, ix + 1]))


def ff_gaunt(itoh, vh, charge, t_k, kt_kev, e_kev):
    g = vanhoof_gaunt(vh, charge, kt_kev, e_kev)
    log_t = math.log10(t_k)
    if charge <= 30 and 6.0 <= log_t <= 8.5:
        lu = np.log10(e_kev / kt_kev)
        ok = (lu >= -4.0) & (lu <= 1.0)
        tt = (log_t - 7.25) / 1.25
        uu = (lu[ok] + 1.5) / 2.5
        tpow = tt ** np.arange(11)
        upow = uu[None, :] ** np.arange(11)[:, None]
        g = g.copy()
        g[ok] = tpow @ itoh[charge - 1] @ upow
    return g


# ---------------- free-bound ----------------
def read_verner(path):
    out = {}
    for ln in open(path):
        t = ln.split()
        if len(t) < 10:
            continue
        z, n_el, n_sh, l_sh = (int(x) for x in t[:4])
        out[(z, n_el)] = dict(n=n_sh, l=l_sh, eth=float(t[4]) * 1e-3, e0=float(t[5]) * 1e-3,
                               s0=float(t[6]) * 1e-18, ya=float(t[7]), p=float(t[8]), yw=float(t[9]))
    return out


def verner_sigma(v, e_kev):
    y = e_kev / v["e0"]
    f = ((y - 1) ** 2 + v["yw"] ** 2) * y ** (0.5 * v["p"] - 5.5) * (1 + np.sqrt(y / v["ya"])) ** (-v["p"])
    return np.where(e_kev >= v["eth"], v["s0"] * f, 0.0)


def read_klgfb(cont_dir):
    """l-averaged Karzas-Latter bound-free Gaunt factor per shell n: (log x, g), x = E / (q^2 Ry)."""
    out = {}
    for n in range(1, 7):
        a = np.loadtxt(os.path.join(cont_dir, "klgfb_%d.dat" % n))
        x, gl = a[:, 0], a[:, 1:]
        w = 2 * np.arange(gl.shape[1]) + 1.0
        g = gl @ w / n ** 2
        order = np.argsort(x)
        out[n] = (np.log(x[order]), g[order])
    return out


def kl_gaunt(kl, n, x):
    m = min(n, 6)
    xs = x * (m * m) / (n * n)          # same distance from threshold on the tabulated shell
    lx, g = kl[m]
    return np.interp(np.log(np.maximum(xs, 1e-30)), lx, g)


# statistical weight 2J+1 of ground levels by electron count N (3d shell filling for N > 18 except near-neutral)
G_GROUND_N = {0: 1, 1: 2, 2: 1, 3: 2, 4: 1, 5: 2, 6: 1, 7: 4, 8: 5, 9: 4, 10: 1, 11: 2, 12: 1, 13: 2, 14: 1,
              15: 4, 16: 5, 17: 4, 18: 1}
G_3D = {1: 4, 2: 5, 3: 4, 4: 1, 5: 6, 6: 9, 7: 10, 8: 9, 9: 6, 10: 1, 11: 2, 12: 1}


def g_ground(z, n_el):
    if n_el <= 18:
        return G_GROUND_N[n_el]
    if z - n_el < 2 and n_el <= 20:          # K I, Ca I, Ca II, Sc II-like near-neutrals: 4s
        return 2 if n_el % 2 else 1
    return G_3D[n_el - 18]


def fb_photons(verner, kl, z, n_el, kt_kev, e_kev):
    """Photons cm^3 s^-1 keV^-1 per n_e n_(recombining ion) for recombination onto (Z, N-1 electrons)."""
    q = z - n_el + 1
    pref = math.sqrt(2 / math.pi) * C_CM_S / (ME_C2_KEV * kt_kev) ** 1.5
    out = np.zeros_like(e_kev)
    v = verner[(z, n_el)]
    ratio = g_ground(z, n_el) / g_ground(z, n_el - 1)
    above = e_kev >= v["eth"]
    if above.any():
        ea = e_kev[above]
        out[above] += ratio * ea ** 2 * verner_sigma(v, ea) * np.exp(-(ea - v["eth"]) / kt_kev)
    n0 = v["n"]
    inner = {1: 0, 2: 2, 3: 10, 4: 28}[n0]
    for n in range(n0, N_MAX_FB + 1):
        # empty states of the valence shell n0 not covered by the Verner ground fit: 2 n0^2 - N_valence - 1
        weight = max(0, 2 * n0 * n0 - (n_el - inner) - 1) if n == n0 else 2 * n * n
        if weight == 0:
            continue
        i_n = q * q * RY_KEV / (n * n)
        above = e_kev >= i_n
        if not above.any():
            continue
        ea = e_kev[above]
        sigma = 7.907e-18 * (n / (q * q)) * (i_n / ea) ** 3 * kl_gaunt(kl, n, ea / (q * q * RY_KEV))
        out[above] += weight * ea ** 2 * sigma * np.exp(-(ea - i_n) / kt_kev)
    return pref * out


# ---------------- level populations and lines ----------------
def read_elvlc(path):
    levels = {}
    for ln in open(path):
        t = ln.split(",")[0].split()
        if not t or t[0] == "-1":
            break
        idx, j, e_obs, e_th = int(t[0]), float(t[-3]), float(t[-2]), float(t[-1])
        levels[idx] = (2 * j + 1, e_obs if (e_obs > 0 or idx == 1) else e_th, t[1])
    return levels


def read_wgfa(path):
    rows = []
    for ln in open(path):
        t = ln.split()
        if not t or t[0] == "-1":
            break
        rows.append((int(t[0]), int(t[1]), abs(float(t[2])), float(t[4])))
    return rows


def read_scups(path):
    lines = open(path).read().splitlines()
    out, i = [], 0
    while i < len(lines):
        t = lines[i].split()
        if not t or t[0] == "-1":
            break
        l1, l2, de, gf, lim, nspl, ttype, cups = (int(t[0]), int(t[1]), float(t[2]), float(t[3]), float(t[4]),
                                                  int(t[5]), int(t[6]), float(t[7]))
        st = np.array([float(x) for x in lines[i + 1].split()])
        su = np.array([float(x) for x in lines[i + 2].split()])
        assert st.size == nspl and su.size == nspl, "scups: bad spline row at %s line %d" % (path, i)
        out.append((l1, l2, de, ttype, cups, st, su))
        i += 3
    return out


def natural_spline(x, y, xe):
    """Natural cubic spline through (x, y) evaluated at scalar xe (CHIANTI descales with a spline too)."""
    n = x.size
    h = np.diff(x)
    a = np.zeros((n, n))
    b = np.zeros(n)
    a[0, 0] = a[-1, -1] = 1.0
    for k in range(1, n - 1):
        a[k, k - 1], a[k, k], a[k, k + 1] = h[k - 1], 2 * (h[k - 1] + h[k]), h[k]
        b[k] = 3 * ((y[k + 1] - y[k]) / h[k] - (y[k] - y[k - 1]) / h[k - 1])
    c = np.linalg.solve(a, b)
    k = int(np.clip(np.searchsorted(x, xe) - 1, 0, n - 2))
    d = xe - x[k]
    bk = (y[k + 1] - y[k]) / h[k] - h[k] * (2 * c[k] + c[k + 1]) / 3
    dk = (c[k + 1] - c[k]) / (3 * h[k])
    return y[k] + bk * d + c[k] * d * d + dk * d ** 3


def upsilon(tr, t_k):
    """Burgess & Tully (1992) descaling of a scups transition, types 1-4 (CHIANTI / ChiantiPy convention)."""
    _, _, de, ttype, c, st, su = tr
    kte = K_KEV_PER_K * t_k / (de * RY_KEV)
    if ttype in (1, 4):
        x = 1 - math.log(c) / math.log(kte + c)
    else:
        x = kte / (kte + c)
    y = natural_spline(st, su, x)
    if ttype == 1:
        return y * math.log(kte + math.e)
    if ttype == 2:
        return y
    if ttype == 3:
        return y / (kte + 1)
    if ttype == 4:
        return y * math.log(kte + c)
    raise ValueError("unsupported scups transition type %d" % ttype)


def rate_matrix(levels, a_rad, scups, t_k):
    """Level indices and the matrix m with d pop / dt = m @ pop at n_e = N_E_DENSITY (collisions + decays)."""
    idx = sorted(levels)
    pos = {k: i for i, k in enumerate(idx)}
    nl = len(idx)
    g = np.array([levels[k][0] for k in idx])
    e = np.array([levels[k][1] for k in idx]) * INVCM_TO_KEV
    rate = np.zeros((nl, nl))                     # rate[i, j]: i -> j, s^-1
    for (lo, up), a in a_rad.items():
        rate[pos[up], pos[lo]] += a
    kt = K_KEV_PER_K * t_k
    for tr in scups:
        lo, up = pos.get(tr[0]), pos.get(tr[1])
        if lo is None or up is None:
            continue
        ups = max(upsilon(tr, t_k), 0.0)
        de = max(e[up] - e[lo], 0.0)
        down = 8.62913e-6 * ups / (g[up] * math.sqrt(t_k))
        rate[up, lo] += N_E_DENSITY * down
        rate[lo, up] += N_E_DENSITY * down * g[up] / g[lo] * math.exp(-de / kt)
    # d pop_i / dt = sum_j pop_j rate[j, i] - pop_i sum_j rate[i, j]
    return idx, pos, rate.T - np.diag(rate.sum(axis=1))


def level_populations(idx, pos, m):
    """Fractional populations (sum 1) of the ion from collisions and radiative decay."""
    m = m.copy()
    m[0, :] = 1.0
    rhs = np.zeros(len(idx))
    rhs[0] = 1.0
    pop = np.linalg.solve(m, rhs)
    return {k: max(pop[pos[k]], 0.0) for k in idx}


def recombination_populations(idx, pos, m, source):
    """Excited populations fed by recombination: m y + source = 0 with the ground level left out.

    source maps level -> capture rate per recombining ion (s^-1 at n_e = N_E_DENSITY); the result is per
    recombining ion, so line emission = n(recombining ion) * y_u * A."""
    s = np.zeros(len(idx))
    for k, v in source.items():
        s[pos[k]] += v
    y = np.linalg.solve(m[1:, 1:], -s[1:])
    out = {k: max(y[pos[k] - 1], 0.0) for k in idx[1:]}
    out[idx[0]] = 0.0
    return out


def read_drparams(path):
    """Badnell (2006) fit: alpha_DR(T) = T^-1.5 sum c_i exp(-E_i / T), E_i in K (CHIANTI type 1)."""
    rows = [ln.split() for ln in open(path)]
    assert rows[0][0] == "1", "%s: only drparams type 1 (Badnell) is supported" % path
    e_k = np.array([float(x) for x in rows[1][2:]])
    c = np.array([float(x) for x in rows[2][2:]])
    return lambda t_k: t_k ** -1.5 * float(np.sum(c * np.exp(-e_k / t_k)))


def read_ip_kev(path):
    out = {}
    for ln in open(path):
        t = ln.split()
        if len(t) < 3 or t[0] == "-1":
            break
        out[(int(t[0]), int(t[1]))] = float(t[2]) * INVCM_TO_KEV
    return out


def rr_shell_rate(kl, q, n, kt_kev):
    """Hydrogenic radiative recombination rate coefficient into shell n [cm^3 s^-1] (Milne + Kramers x KL)."""
    xs, ws = np.polynomial.laguerre.laggauss(40)
    i_n = q * q * RY_KEV / (n * n)
    e = i_n + kt_kev * xs
    sigma = 7.907e-18 * (n / (q * q)) * (i_n / e) ** 3 * kl_gaunt(kl, n, e / (q * q * RY_KEV))
    pref = math.sqrt(2 / math.pi) * C_CM_S / (ME_C2_KEV * kt_kev) ** 1.5
    return pref * kt_kev * float(np.sum(ws * 2 * n * n * e * e * sigma))


def outer_shell(config, n_core):
    """n of the outer electron if config is the recombining ion's ground core plus one electron, else None."""
    core = {0: [], 1: ["1s"], 2: ["1s2"]}[n_core]
    orb = config.split(".")
    if orb[:-1] != core or not orb[-1][:-1].isdigit() or not orb[-1][-1].isalpha():
        return None
    return int(orb[-1][:-1])


def rr_source(levels, kl, z, stage, kt_kev):
    """Radiative recombination onto the next ion, distributed over this ion's shells n (by level weight);
    recombination into shells above the highest one with levels is added to that shell (cascades)."""
    n_core = z - stage                               # electrons of the recombining ion
    q = stage                                        # its charge
    shells = {}
    for k, (g, _, cfg) in levels.items():
        n = outer_shell(cfg, n_core)
        if n is not None:
            shells.setdefault(n, []).append((k, g))
    if not shells:
        return {}
    n_top = max(shells)
    src = {}
    for n, members in shells.items():
        alpha = rr_shell_rate(kl, q, n, kt_kev)
        if n == n_top:
            alpha += sum(rr_shell_rate(kl, q, nn, kt_kev) for nn in range(n_top + 1, 31))
        g_sum = sum(g for _, g in members)
        for k, g in members:
            src[k] = src.get(k, 0.0) + N_E_DENSITY * alpha * g / g_sum
    return src


def spectator_n(config):
    """Principal quantum number of the last orbital of a configuration string ('1s.2p(1P).8k' -> 8)."""
    orbs = re.findall(r"(\d+)[spdfghik]", re.sub(r"\([^)]*\)", "", config))
    return int(orbs[-1]) if orbs else 0


def dr_source(levels, a_rad, alpha_dr, ip_kev, t_k):
    """Dielectronic recombination onto the next ion, fed into this ion's autoionising levels (above the
    ionisation energy). The Badnell total is split with the resonance strengths
    g_u exp(-(E_u - IP)/kT) A_a A_r / (A_a + A_r), A_r the level's radiative rate and A_a an autoionisation rate
    estimated as DR_AUTO_N2 (2/n)^3 for spectator shell n (CHIANTI's .auto rates are not in the subset);
    every capture stabilises through the level's radiative decays (satellite lines and cascades)."""
    kt = K_KEV_PER_K * t_k
    a_out = {}
    for (lo, up), a in a_rad.items():
        a_out[up] = a_out.get(up, 0.0) + a
    w = {}
    for k, (g, e, cfg) in levels.items():
        e_kev = e * INVCM_TO_KEV
        a_r = a_out.get(k, 0.0)
        n = spectator_n(cfg)
        if e_kev > ip_kev and a_r > 0 and n >= 2:
            a_a = DR_AUTO_N2 * (2.0 / n) ** 3
            w[k] = g * math.exp(-(e_kev - ip_kev) / kt) * a_a * a_r / (a_a + a_r)
    total = sum(w.values())
    if total <= 0:
        return {}
    return {k: N_E_DENSITY * alpha_dr(t_k) * v / total for k, v in w.items()}


def ion_data(chianti, z, stage):
    name = "%s_%d" % (SYMBOL[z], stage)
    base = os.path.join(chianti, SYMBOL[z], name, name)
    levels = read_elvlc(base + ".elvlc")
    a_rad, lines, two_photon = {}, {}, {}
    for lo, up, wvl, a in read_wgfa(base + ".wgfa"):
        if lo not in levels or up not in levels:
            continue
        a_rad[(lo, up)] = a_rad.get((lo, up), 0.0) + a
        if wvl == 0.0:
            two_photon[up] = two_photon.get(up, 0.0) + a   # wavelength 0: two-photon decay to ground
        else:
            old = lines.get((lo, up))
            lines[(lo, up)] = (12.39841984 / wvl, a + (old[1] if old else 0.0))
    return name, levels, a_rad, lines, two_photon, read_scups(base + ".scups")


def read_two_photon(cont_dir):
    out = {}
    for fname, nseq in (("hseq_2photon.dat", 1), ("heseq_2photon.dat", 2)):
        rows = [ln.split() for ln in open(os.path.join(cont_dir, fname)) if ln.strip()]
        y = np.array([float(v) for v in rows[0]])
        for r in rows[1:]:
            if len(r) < y.size + 2:
                continue
            psi = np.array([float(v) for v in r[-y.size:]])
            out[(int(r[0]), nseq)] = (y, psi * 2.0 / np.trapezoid(psi, y))   # 2 photons per decay
    return out


# ---------------- assembly ----------------
def cell_quadrature():
    nodes = np.geomspace(E_MIN_KEV, E_MAX_KEV, N_NODE)
    xg, wg = np.polynomial.legendre.leggauss(N_SUB)
    lo, hi = nodes[:-1, None], nodes[1:, None]
    e = 0.5 * (lo + hi) + 0.5 * (hi - lo) * xg[None, :]
    w = 0.5 * (hi - lo) * wg[None, :]
    return nodes, e.ravel(), w


def integrate_cells(w, f):
    return (f.reshape(w.shape) * w).sum(axis=1)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--atomic", default=os.path.join(here, "..", "..", "shared", "data", "atomic"))
    ap.add_argument("--out", default=os.path.join(here, "..", "src", "sim", "apec_table.inc"))
    args = ap.parse_args()
    chianti = os.path.join(args.atomic, "chianti-10.1")
    cont_dir = os.path.join(chianti, "continuum")

    abund = read_abundances(os.path.join(args.atomic, "solar_abundances.tsv"))
    ioneq = read_ioneq(os.path.join(chianti, "ioneq", "chianti.ioneq"))
    itoh = read_itoh(os.path.join(cont_dir, "itoh.dat"))
    vh = read_vanhoof(os.path.join(args.atomic, "vanhoof2014", "gauntff_merged_Z01.dat"))
    verner = read_verner(os.path.join(cont_dir, "verner_short.txt"))
    kl = read_klgfb(cont_dir)
    two_photon_shape = read_two_photon(cont_dir)

    kt_grid = np.geomspace(KT_MIN_KEV, KT_MAX_KEV, N_TEMP)
    t_grid = kt_grid / K_KEV_PER_K
    log_t = np.log10(t_grid)
    nodes, e_q, w_q = cell_quadrature()
    n_cell = N_NODE - 1
    cont = {"hhe": np.zeros((N_TEMP, n_cell)), "metals": np.zeros((N_TEMP, n_cell))}
    ff_pref = ff_constant() / H_ERG_S     # photons cm^3 s^-1 keV^-1 K^1/2 keV (divide by sqrt(T) E_keV)

    fracs = {(z, s): ion_fraction(ioneq, z, s, log_t) for z in range(1, 31) for s in range(1, z + 2)}
    for it, (t_k, kt) in enumerate(zip(t_grid, kt_grid)):
        for z in range(1, 31):
            key = "hhe" if z <= 2 else "metals"
            spec = np.zeros_like(e_q)
            for stage in range(2, z + 2):
                f = fracs[(z, stage)][it]
                if f * abund[z] < 1e-14:
                    continue
                q = stage - 1
                g = ff_gaunt(itoh, vh, q, t_k, kt, e_q)
                spec += f * q * q * g * ff_pref * np.exp(-e_q / kt) / (math.sqrt(t_k) * e_q)
                spec += f * fb_photons(verner, kl, z, z - q + 1, kt, e_q)
            cont[key][it] += abund[z] * integrate_cells(w_q, spec)
        print("continuum kT=%.3f keV done" % kt, file=sys.stderr)

    ip_kev = read_ip_kev(os.path.join(chianti, "ip", "chianti.ip"))
    line_rows = []
    for z, stage in LINE_IONS:
        name, levels, a_rad, lines, two_photon, scups = ion_data(chianti, z, stage)
        next_name = "%s_%d" % (SYMBOL[z], stage + 1)
        dr_path = os.path.join(chianti, SYMBOL[z], next_name, next_name + ".drparams")
        alpha_dr = read_drparams(dr_path) if os.path.exists(dr_path) else None
        emis = {k: np.zeros(N_TEMP) for k in lines}
        for it, (t_k, kt) in enumerate(zip(t_grid, kt_grid)):
            f_ion = fracs[(z, stage)][it] * abund[z]           # this ion per H
            f_rec = fracs[(z, stage + 1)][it] * abund[z]       # recombining ion per H
            if max(f_ion, f_rec) < 1e-16:
                continue
            idx, pos, m = rate_matrix(levels, a_rad, scups, t_k)
            pop_c = level_populations(idx, pos, m)
            source = rr_source(levels, kl, z, stage, kt)
            if alpha_dr is not None:
                for k, v in dr_source(levels, a_rad, alpha_dr, ip_kev[(z, stage)], t_k).items():
                    source[k] = source.get(k, 0.0) + v
            pop_r = recombination_populations(idx, pos, m, source) if source else {k: 0.0 for k in idx}
            # level populations per n_H (per unit n_e in the low-density limit)
            pop = {k: (f_ion * pop_c[k] + f_rec * pop_r[k]) / N_E_DENSITY for k in idx}
            for k, (_, a) in lines.items():
                emis[k][it] = pop[k[1]] * a
            n_seq = z - stage + 1
            for up, a in two_photon.items():
                y, psi = two_photon_shape[(z, n_seq)]
                e0 = levels[up][1] * INVCM_TO_KEV
                shape = np.interp(e_q / e0, y, psi, right=0.0) / e0
                cont["metals"][it] += pop[up] * a * integrate_cells(w_q, shape)
        total = sum(emis.values()) + 1e-300
        kept, dropped = [], []
        for k, (e_kev, _) in lines.items():
            if e_kev < LINE_E_MIN_KEV:
                continue
            (kept if np.max(emis[k] / total) >= LINE_REL_CUT else dropped).append((e_kev, k))
        kept_e = np.array([e for e, _ in kept])
        merged = {k: emis[k].copy() for _, k in kept}
        for e_kev, k in dropped:          # keep the photons of weak satellites / cascades near strong lines
            j = int(np.argmin(np.abs(kept_e - e_kev)))
            if abs(kept_e[j] - e_kev) <= LINE_MERGE_REL * e_kev:
                merged[kept[j][1]] += emis[k]
        for e_kev, k in kept:
            line_rows.append((e_kev, z, stage, k[0], k[1], merged[k]))
        print("lines %s: %d kept of %d" % (name, sum(1 for r in line_rows if r[1:3] == (z, stage)), len(lines)),
              file=sys.stderr)
    line_rows.sort(key=lambda r: r[0])
    write_table(args.out, kt_grid, nodes, cont, line_rows)


def fmt(values):
    vals = ["0" if v < 1e-37 else ("%.5g" % v) for v in values]
    return ",".join(vals)


def write_table(path, kt_grid, nodes, cont, line_rows):
    n_cell = nodes.size - 1
    with open(path, "w") as f:
        f.write("// apec_table.inc: CIE plasma emissivities per unit emission measure (n_e n_H V), angr abundances.\n")
        f.write("// Generated by: python3 tools/make_apec_table.py --atomic ../shared/data/atomic"
                " --out src/sim/apec_table.inc  (do not edit by hand).\n")
        f.write("// Sources: CHIANTI 10.1 (Dere et al. 1997, A&AS 125, 149; Del Zanna et al. 2021, ApJ 909, 38):\n"
                "//   ionisation equilibrium, elvlc/wgfa/scups, two-photon shapes, Karzas-Latter bound-free Gaunt;\n"
                "//   Itoh et al. 2000 (ApJS 128, 125) relativistic free-free Gaunt factors; van Hoof et al. 2014\n"
                "//   (MNRAS 444, 420) non-relativistic free-free Gaunt factors; Verner et al. 1996 (ApJ 465, 487)\n"
                "//   photoionisation fits; Anders & Grevesse 1989 abundances. Approximations: docs/physics.md, apec.\n")
        f.write("// Temperature grid: kT_keV[t] = %g * (%g/%g)^(t/%d), t = 0..%d.\n"
                % (KT_MIN_KEV, KT_MAX_KEV, KT_MIN_KEV, N_TEMP - 1, N_TEMP - 1))
        f.write("// Energy nodes: E_keV[k] = %g * (%g/%g)^(k/%d), k = 0..%d; continuum arrays hold photons\n"
                "// cm^3 s^-1 integrated over cell [E_k, E_k+1] (T, cells) row-major; lines: photons cm^3 s^-1.\n"
                % (E_MIN_KEV, E_MAX_KEV, E_MIN_KEV, N_NODE - 1, N_NODE - 1))
        f.write("constexpr int kApecNumTemps = %d;\n" % N_TEMP)
        f.write("constexpr double kApecKtMinKeV = %r;\nconstexpr double kApecKtMaxKeV = %r;\n"
                % (KT_MIN_KEV, KT_MAX_KEV))
        f.write("constexpr int kApecNumNodes = %d;\n" % N_NODE)
        f.write("constexpr double kApecEMinKeV = %r;\nconstexpr double kApecEMaxKeV = %r;\n" % (E_MIN_KEV, E_MAX_KEV))
        for key, cname in (("hhe", "kApecContHHe"), ("metals", "kApecContMetals")):
            f.write("// (kApecNumTemps, kApecNumNodes - 1)\nconst float %s[%d] = {\n" % (cname, N_TEMP * n_cell))
            for it in range(N_TEMP):
                f.write(fmt(cont[key][it]) + ",\n")
            f.write("};\n")
        nl = len(line_rows)
        f.write("constexpr int kApecNumLines = %d;\n" % nl)
        f.write("// (kApecNumLines) rest energy [keV], element Z, ion stage (26 = Fe XXVI), lower/upper CHIANTI level\n")
        f.write("const double kApecLineEnergyKeV[%d] = {%s};\n" % (nl, ",".join("%.7g" % r[0] for r in line_rows)))
        f.write("const unsigned char kApecLineZ[%d] = {%s};\n" % (nl, ",".join(str(r[1]) for r in line_rows)))
        f.write("const unsigned char kApecLineStage[%d] = {%s};\n" % (nl, ",".join(str(r[2]) for r in line_rows)))
        f.write("const unsigned short kApecLineLower[%d] = {%s};\n" % (nl, ",".join(str(r[3]) for r in line_rows)))
        f.write("const unsigned short kApecLineUpper[%d] = {%s};\n" % (nl, ",".join(str(r[4]) for r in line_rows)))
        f.write("// (kApecNumLines, kApecNumTemps) photons cm^3 s^-1 per n_e n_H at angr abundance\n")
        f.write("const float kApecLineEmis[%d] = {\n" % (nl * N_TEMP))
        for r in line_rows:
            f.write(fmt(r[5]) + ",\n")
        f.write("};\n")


if __name__ == "__main__":
    main()
