#!/usr/bin/env python3
"""Derive the tbabs ISM cross-section table (src/sim/tbabs_table.inc) from published atomic data.

sigma_ISM(E) per H atom following Wilms, Allen & McCray 2000 (ApJ 542, 914), the physics of XSPEC's tbabs:
  * photo-ionisation cross sections of neutral atoms (N = Z) from the analytic fits of Verner, Ferland,
    Korista & Yakovlev 1996 (ApJ 465, 487), ../shared/data/atomic/verner1996/*.tsv, shells chosen with
    Verner's phfit2 rule (inner shells: partial-shell fit from E_th; outermost shell: ground-state fit below
    the innermost inner-shell threshold, partial fits for all shells above it);
  * abundances: table wilm of ../shared/data/atomic/solar_abundances.tsv;
  * gas fraction (depletion) per element as in Wilms et al. 2000 Table 2; the depleted part sits in grains
    (density 1 g/cm^3, radii 0.025-0.25 um, dn/da ~ a^-3.5) whose self-shielding is the Wilms et al. appendix
    form pi a^2 (1 - exp(-sigma_avg N_a)), N_a = (4/3) a rho / <m> (mean atom column through a grain),
    integrated over the size distribution numerically;
  * helium: the fit of Yan, Sadeghpour & Dalgarno 1998 (ApJ 496, 1044, eq. 14 and Table 4), which Wilms et
    al. adopt instead of Verner's (about 14% higher at 1 keV); the He autoionisation resonances near
    60-70 eV are left out;
  * 20% of H nuclei in H2, with sigma(H2) = 2.85 sigma(H) per molecule (Yan et al. 1998 high-energy ratio).
Energies: log grid 0.01-100 keV (400 points per decade) plus both sides of every absorption edge.
Writes C++ to stdout. Plain python3, no dependencies.

usage: python3 tools/make_tbabs_table.py [shared/data/atomic dir] > src/sim/tbabs_table.inc
"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(HERE, "..", "..", "shared", "data", "atomic")

# Gas fraction of each element (1 - depletion into grains), Wilms et al. 2000 Table 2 / physics notes.
GAS_FRACTION = {"H": 1.0, "He": 1.0, "C": 0.5, "N": 1.0, "O": 0.6, "Ne": 1.0, "Na": 0.25, "Mg": 0.2,
                "Al": 0.02, "Si": 0.1, "P": 0.6, "S": 0.6, "Cl": 0.5, "Ar": 1.0, "Ca": 0.003, "Ti": 0.002,
                "Cr": 0.03, "Mn": 0.07, "Fe": 0.3, "Co": 0.05, "Ni": 0.04}
Z_OF = {"H": 1, "He": 2, "C": 6, "N": 7, "O": 8, "Ne": 10, "Na": 11, "Mg": 12, "Al": 13, "Si": 14, "P": 15,
        "S": 16, "Cl": 17, "Ar": 18, "Ca": 20, "Ti": 22, "Cr": 24, "Mn": 25, "Fe": 26, "Co": 27, "Ni": 28}
MASS_AMU = {"H": 1.008, "He": 4.003, "C": 12.011, "N": 14.007, "O": 15.999, "Ne": 20.180, "Na": 22.990,
            "Mg": 24.305, "Al": 26.982, "Si": 28.086, "P": 30.974, "S": 32.06, "Cl": 35.45, "Ar": 39.948,
            "Ca": 40.078, "Ti": 47.867, "Cr": 51.996, "Mn": 54.938, "Fe": 55.845, "Co": 58.933, "Ni": 58.693}
H2_FRACTION = 0.2          # fraction of H nuclei in H2
H2_TO_H = 2.85             # sigma(H2) per molecule / sigma(H) per atom
GRAIN_RHO = 1.0            # g/cm^3
GRAIN_AMIN_CM, GRAIN_AMAX_CM, GRAIN_INDEX = 0.025e-4, 0.25e-4, 3.5
AMU_G = 1.66053907e-24
SHELL_L = [0, 0, 1, 0, 1, 2, 0]  # orbital l of shells 1s 2s 2p 3s 3p 3d 4s
E_LO_KEV, E_HI_KEV, PER_DECADE = 0.01, 100.0, 400
# Yan et al. 1998 helium: sigma = 733 b (E/keV)^-3.5 sum_i a_i x^i, x = sqrt(E_th/E), E_th = 24.58 eV.
HE_YAN_COEFF = (1.0, -4.7416, 14.8200, -30.8678, 37.3584, -23.4585, 5.9133)
HE_YAN_ETH_EV = 24.58


def helium_yan_cm2(e_ev):
    if e_ev < HE_YAN_ETH_EV:
        return 0.0
    x = math.sqrt(HE_YAN_ETH_EV / e_ev)
    poly = sum(a * x ** i for i, a in enumerate(HE_YAN_COEFF))
    return 733e-24 * (e_ev / 1e3) ** -3.5 * poly


def read_tsv(path):
    rows, header = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split()
            if header is None:
                header = fields
                continue
            rows.append(dict(zip(header, fields)))
    return rows


def read_shell_counts(path):
    ninn = ntot = None
    with open(path) as f:
        for line in f:
            if "NINN" in line:
                ninn = [int(v) for v in line.split(":", 1)[1].split(",")]
            if "NTOT" in line:
                ntot = [int(v) for v in line.split(":", 1)[1].split(",")]
    assert ninn and ntot and len(ninn) == 30 and len(ntot) == 30, "shell counts missing in " + path
    return ninn, ntot


class Verner:
    def __init__(self, atomic_dir):
        vdir = os.path.join(atomic_dir, "verner1996")
        self.ph1 = {}
        for r in read_tsv(os.path.join(vdir, "verner1996_inner_shells.tsv")):
            key = (int(r["Z"]), int(r["N"]), int(r["shell"]))
            self.ph1[key] = [float(r[k]) for k in ("E_th_eV", "E0_eV", "sigma0_Mb", "y_a", "P", "y_w")]
        outer = os.path.join(vdir, "verner1996_outer_shells.tsv")
        self.ph2 = {}
        for r in read_tsv(outer):
            self.ph2[(int(r["Z"]), int(r["N"]))] = [float(r[k]) for k in
                                                    ("E0_eV", "sigma0_Mb", "y_a", "P", "y_w", "y0", "y1")]
        self.ninn, self.ntot = read_shell_counts(outer)

    def layout(self, z):
        """(nout, nint, einn) for the neutral atom, per Verner's phfit2."""
        ne = z
        nout = self.ntot[ne - 1]
        if z == ne and z > 18:
            nout = 7
        nint = self.ninn[ne - 1]
        if z in (15, 17, 19) or (z > 20 and z != 26):
            einn = 0.0
        elif ne < 3:
            einn = 1e30
        else:
            einn = self.ph1[(z, ne, nint)][0]
        return nout, nint, einn

    def shell_sigma_mb(self, z, shell, e_ev):
        nout, nint, einn = self.layout(z)
        if shell > nout or (shell == 6 and z in (19, 20)):
            return 0.0
        key = (z, z, shell)
        if key not in self.ph1 or e_ev < self.ph1[key][0]:
            return 0.0
        if nint < shell < nout and e_ev < einn:
            return 0.0
        if shell <= nint or e_ev >= einn:
            eth, e0, s0, ya, p, yw = self.ph1[key]
            y = e_ev / e0
            q = 0.5 * p - 5.5 - SHELL_L[shell - 1]
            return s0 * ((y - 1) ** 2 + yw ** 2) * y ** q * (1 + math.sqrt(y / ya)) ** (-p)
        e0, s0, ya, p, yw, y0, y1 = self.ph2[(z, z)]
        x = e_ev / e0 - y0
        y = math.sqrt(x * x + y1 * y1)
        return s0 * ((x - 1) ** 2 + yw ** 2) * y ** (0.5 * p - 5.5) * (1 + math.sqrt(y / ya)) ** (-p)

    def sigma_cm2(self, z, e_ev):
        return 1e-18 * sum(self.shell_sigma_mb(z, s, e_ev) for s in range(1, 8))

    def edges_ev(self, z):
        nout, nint, einn = self.layout(z)
        out = {self.ph1[(z, z, s)][0] for s in range(1, nout + 1) if (z, z, s) in self.ph1}
        if 0 < einn < 1e30:
            out.add(einn)
        return sorted(out)


def read_wilm(atomic_dir):
    ab = {}
    with open(os.path.join(atomic_dir, "solar_abundances.tsv")) as f:
        lines = [l for l in f if not l.startswith("#") and l.strip()]
    col = lines[0].split().index("wilm")
    for l in lines[1:]:
        fields = l.split()
        ab[fields[0]] = float(fields[col])
    return ab


def grain_shielded(sigma_avg_cm2, mean_mass_g):
    """Effective/unshielded cross-section ratio of the grain phase, averaged over dn/da ~ a^-3.5."""
    # Per grain: pi a^2 (1 - exp(-tau)), tau = sigma_avg (4/3) a rho / <m>; unshielded: (4/3) pi a^3 rho
    # sigma_avg / <m>. Ratio of the size-distribution integrals, Simpson's rule in ln a.
    n = 400
    la, lb = math.log(GRAIN_AMIN_CM), math.log(GRAIN_AMAX_CM)
    num = den = 0.0
    for i in range(n + 1):
        a = math.exp(la + (lb - la) * i / n)
        w = (1 if i in (0, n) else (4 if i % 2 else 2)) * a ** (1 - GRAIN_INDEX)  # dn = a^-3.5 da = a^-2.5 dln a
        tau = sigma_avg_cm2 * (4.0 / 3.0) * a * GRAIN_RHO / mean_mass_g
        num += w * math.pi * a * a * (-math.expm1(-tau))
        den += w * math.pi * a * a * tau
    return num / den if den > 0 else 1.0


def sigma_ism_cm2(verner, wilm, e_ev):
    gas = grain = grain_atoms = grain_mass = 0.0
    for el, beta in GAS_FRACTION.items():
        ab = wilm[el]
        s = helium_yan_cm2(e_ev) if el == "He" else verner.sigma_cm2(Z_OF[el], e_ev)
        if el == "H":
            gas += ab * ((1 - H2_FRACTION) * s + 0.5 * H2_FRACTION * H2_TO_H * s)
            continue
        gas += ab * beta * s
        grain += ab * (1 - beta) * s
        grain_atoms += ab * (1 - beta)
        grain_mass += ab * (1 - beta) * MASS_AMU[el] * AMU_G
    if grain_atoms > 0 and grain > 0:
        grain *= grain_shielded(grain / grain_atoms, grain_mass / grain_atoms)
    return gas + grain


def energy_grid_ev(verner):
    n = int(round(math.log10(E_HI_KEV / E_LO_KEV) * PER_DECADE))
    grid = [1e3 * E_LO_KEV * 10 ** (i / PER_DECADE) for i in range(n + 1)]
    lo, hi = grid[0], grid[-1]
    for el in GAS_FRACTION:
        edges = [HE_YAN_ETH_EV] if el == "He" else verner.edges_ev(Z_OF[el])
        for e in edges:
            if lo < e < hi:
                grid += [e * (1 - 1e-7), e]  # both sides of the step
    return sorted(set(grid))


def main():
    atomic_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    verner, wilm = Verner(atomic_dir), read_wilm(atomic_dir)
    grid = energy_grid_ev(verner)
    sig = [sigma_ism_cm2(verner, wilm, e) / 1e-22 for e in grid]
    out = sys.stdout
    out.write("// sigma_ISM(E) per H atom for tbabs, generated by tools/make_tbabs_table.py (do not edit).\n")
    out.write("// Wilms, Allen & McCray 2000, ApJ 542, 914 (wilm abundances, depletion, grains, H2) with the\n")
    out.write("// photo-ionisation fits of Verner, Ferland, Korista & Yakovlev 1996, ApJ 465, 487, and for He of\n")
    out.write("// Yan, Sadeghpour & Dalgarno 1998, ApJ 496, 1044.\n")
    out.write("// Energies in keV, cross sections in 1e-22 cm^2; an edge appears as two nearly equal energies.\n")
    out.write("constexpr int kTbabsN = %d;\n" % len(grid))
    for name, vals, scale in (("kTbabsEnergyKev", grid, 1e-3), ("kTbabsSigma22", sig, 1.0)):
        out.write("constexpr double %s[] = {  // (kTbabsN)\n" % name)
        for i in range(0, len(vals), 6):
            out.write("    " + ", ".join("%.9e" % (v * scale) for v in vals[i:i + 6]) + ",\n")
        out.write("};\n")
    for e_kev in (0.5, 1.0, 2.0, 6.0, 10.0, 30.0):
        sys.stderr.write("sigma(%g keV) = %.4g e-22 cm^2\n" % (e_kev, sigma_ism_cm2(verner, wilm, 1e3 * e_kev) / 1e-22))
    sys.stderr.write("%d grid energies\n" % len(grid))


if __name__ == "__main__":
    main()
