#!/usr/bin/env python3
"""Derive the NuSTAR FPMA background model table (src/sim/nustar_background_table.inc) from nuskybgd.

nuskybgd (Wik et al. 2014, ApJ 792, 48; github.com/NuSTAR/nuskybgd, MIT licence) models the background of a
region as four XSPEC sources; this tool copies their fixed shapes and per-detector normalisations:
  aperture stray light  cutoffpl(Gamma, E_cut) x be.arf   norm = 0.002353/32 x sum(aperture image in region)
  focused CXB           cutoffpl(Gamma, E_cut) x fcxbA.arf norm = fcxb_fov x (region area / detector area)
  internal              apec + 29 lorentz lines, no ARF    norm = sum_d p_d x (region area on d / area of d)
  instrumental cont.    bknpower through diag.rmf, no ARF  norm = sum_d p_d x (region area on d / area of d)
(bgdfitparamsA.dat: whole-detector norms p_d of detectors 0-3, IDL nuskybgd_spec.pro convention; ratios.json:
line energies/widths, apec kT/abundance, bknpower indices and break.)
The aperture image (auxil/detA_det1.img, a per-pixel stray-light pattern) is not in ../shared, so the model
uses a spatially uniform aperture level per arcmin^2, calibrated here so that the four components reproduce
the 5-20 keV count rate of the real FPMA background spectrum nu90402339002A01_bk.pha (HEASARC test data, CC0;
BACKSCAL = region fraction of the 1000x1000 sky image of 2.45810736" pixels), with the region spread evenly
over the four detectors and the RMF's redistribution across the band edges neglected (FWHM 0.4 keV).

usage: pip install astropy; python3 tools/make_nustar_background_table.py [../shared/data] > src/sim/nustar_background_table.inc
"""
import json
import math
import os
import sys

import numpy as np
from astropy.io import fits

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.join(HERE, "..", "..", "shared", "data")
SKY_PIXEL_ARCMIN = 2.45810736 / 60.0
DETECTOR_AREA_ARCMIN2 = (160 * SKY_PIXEL_ARCMIN) ** 2  # 32x32 pixels of 0.6048 mm = 160 DET1 pixels a side
CAL_BAND_KEV = (5.0, 20.0)


def read_bgdfitparams(path):
    rows = []
    with open(path) as f:
        for line in f:
            s = line.split("#")[0].split()
            if s:
                rows.append([float(v) for v in s])
    scalars = [r[0] for r in rows if len(r) == 1]
    per_det = [r for r in rows if len(r) == 4]
    return scalars, per_det


def cutoffpl(e, gamma, ecut):
    return e ** (-gamma) * np.exp(-e / ecut)


def band_integral(fn, lo, hi, n=20000):
    e = np.linspace(lo, hi, n + 1)
    c = 0.5 * (e[1:] + e[:-1])
    return np.sum(fn(c)) * (hi - lo) / n


def lorentz_fraction(e0, fwhm, lo, hi):
    # XSPEC lorentz is normalised to 1 over E > 0.
    total = 0.5 + math.atan(2 * e0 / fwhm) / math.pi
    return (math.atan(2 * (hi - e0) / fwhm) - math.atan(2 * (lo - e0) / fwhm)) / math.pi / total


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    bgd = os.path.join(data_dir, "nustar", "nuskybgd")
    ratios = json.load(open(os.path.join(bgd, "ratios.json")))
    models = {m["name"].split(":")[1]: m["components"] for m in ratios["models"]}
    ap = models["apbgd"]["cutoffpl"]["A"]
    gamma, ecut = ap["phoindex"], ap["highecut"]
    intbgd = models["intbgd"]
    apec = intbgd["apec"]["A"]
    lines = [intbgd[k]["A"] for k in intbgd if k.startswith("lorentz")]
    cont = models["intn"]["bknpower"]["A"]
    scalars, per_det = read_bgdfitparams(os.path.join(bgd, "bgdfitparamsA.dat"))
    ap_factor, fcxb_fov = scalars[0], scalars[1]
    if len(per_det) != len(lines) + 2:
        sys.exit("bgdfitparamsA.dat: expected %d per-detector rows, found %d" % (len(lines) + 2, len(per_det)))
    line_norms, apec_norms, cont_norms = per_det[:len(lines)], per_det[len(lines)], per_det[len(lines) + 1]
    for l, p in zip(lines, line_norms):  # ratios.json repeats the same per-detector values
        if not np.allclose(l["ifactors"], p, rtol=1e-4):
            sys.exit("line %.3f keV: ratios.json and bgdfitparamsA.dat disagree" % l["linee"])

    # Calibrate the uniform aperture level on the real background spectrum.
    pha = fits.open(os.path.join(data_dir, "nustar", "nu90402339002A01_bk.pha"))["SPECTRUM"]
    exposure_s, backscal = pha.header["EXPOSURE"], pha.header["BACKSCAL"]
    area_arcmin2 = backscal * 1000 ** 2 * SKY_PIXEL_ARCMIN ** 2
    ch = pha.data["CHANNEL"].astype(float)
    e_lo = 1.6 + 0.04 * ch
    lo, hi = CAL_BAND_KEV
    sel = (e_lo >= lo) & (e_lo + 0.04 <= hi + 1e-9)
    observed = pha.data["COUNTS"][sel].sum() / exposure_s
    fcxb_arf = fits.open(os.path.join(bgd, "fcxbA.arf"))["SPECRESP"].data
    fe = 1.6 + 0.04 * (np.arange(4096) + 0.5)
    fa = fcxb_arf["SPECRESP"].astype(float)
    det_frac = area_arcmin2 / 4 / DETECTOR_AREA_ARCMIN2  # region area on each detector / detector area
    fcxb = fcxb_fov * area_arcmin2 / (4 * DETECTOR_AREA_ARCMIN2) * band_integral(
        lambda e: cutoffpl(e, gamma, ecut) * np.interp(e, fe, fa), lo, hi)
    line_rate = sum(sum(p) * det_frac * lorentz_fraction(l["linee"], l["width"], lo, hi)
                    for l, p in zip(lines, line_norms))
    cont_rate = sum(cont_norms) * det_frac * band_integral(lambda e: e ** (-cont["phoindx1"]), lo, hi)
    per_norm = band_integral(lambda e: cutoffpl(e, gamma, ecut), lo, hi)  # be.arf ~ 0.997 in this band
    aperture_norm_per_arcmin2 = (observed - fcxb - line_rate - cont_rate) / per_norm / area_arcmin2
    if not aperture_norm_per_arcmin2 > 0:
        sys.exit("aperture calibration failed: other components exceed the observed rate")
    # Equivalent mean value of nuskybgd's aperture image per sky pixel (norm = ap_factor 0.002353/32 sum).
    mean_ap_pixel = aperture_norm_per_arcmin2 * SKY_PIXEL_ARCMIN ** 2 * 32 / (0.002353 * ap_factor)

    def arr(v):
        return "{" + ", ".join("%.6e" % x for x in v) + "}"

    print("// NuSTAR FPMA background model (nuskybgd), generated by tools/make_nustar_background_table.py (do not edit).")
    print("// Source: nuskybgd auxil ratios.json and bgdfitparamsA.dat (Wik et al. 2014, ApJ 792, 48; MIT licence).")
    print("// Norms: XSPEC photons keV^-1 cm^-2 s^-1 at 1 keV (cutoffpl, bknpower), photons cm^-2 s^-1 (lorentz),")
    print("// apec's 1e-14/(4 pi D^2) int n_e n_H dV; per-detector values are for a whole detector (det 0-3).")
    print("// The aperture level is calibrated on nu90402339002A01_bk.pha (%.3f arcmin^2, %.0f s): observed" %
          (area_arcmin2, exposure_s))
    print("// %g-%g keV rate %.4e cts/s = fcxb %.3e + lines %.3e + continuum %.3e + aperture; equivalent" %
          (lo, hi, observed, fcxb, line_rate, cont_rate))
    print("// mean nuskybgd aperture-image value %.4e per sky pixel." % mean_ap_pixel)
    print("constexpr double kSkyPixelArcmin = %.9f;        // nuskybgd sky image pixel (2.45810736 arcsec)" %
          SKY_PIXEL_ARCMIN)
    print("constexpr double kDetectorAreaArcmin2 = %.6f;   // one CdZnTe detector: 160x160 sky pixels" %
          DETECTOR_AREA_ARCMIN2)
    print("constexpr double kCxbPhoIndex = %.6g, kCxbHighEcutKev = %.6g;  // cutoffpl shape (apbgd, fcxb)" %
          (gamma, ecut))
    print("constexpr double kApertureNormPerArcmin2 = %.6e;  // cutoffpl norm per arcmin^2 of region" %
          aperture_norm_per_arcmin2)
    print("constexpr double kFcxbNormFov = %.6e;  // cutoffpl norm for all four detectors (whole field)" % fcxb_fov)
    print("constexpr double kApecKtKev = %.6g, kApecAbundance = %.6g;" % (apec["kt"], apec["abundanc"]))
    print("constexpr double kApecNorm[4] = %s;" % arr(apec_norms))
    print("constexpr double kContPhoIndex1 = %.6g, kContBreakKev = %.6g, kContPhoIndex2 = %.6g;" %
          (cont["phoindx1"], cont["breake"], cont["phoindx2"]))
    print("constexpr double kContNorm[4] = %s;" % arr(cont_norms))
    print("constexpr int kNumLines = %d;" % len(lines))
    print("constexpr double kLineEnergyKev[kNumLines] = %s;" % arr([l["linee"] for l in lines]))
    print("constexpr double kLineFwhmKev[kNumLines] = %s;" % arr([l["width"] for l in lines]))
    print("constexpr double kLineNorm[kNumLines][4] = {")
    for p in line_norms:
        print("    %s," % arr(p))
    print("};")
    print("// Calibration check values: region and observed rate of the real background spectrum.")
    print("constexpr double kCalAreaArcmin2 = %.6f, kCalBandLoKev = %g, kCalBandHiKev = %g, kCalRate = %.6e;" %
          (area_arcmin2, lo, hi, observed))


if __name__ == "__main__":
    main()
