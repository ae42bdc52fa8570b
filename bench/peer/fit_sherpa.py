#!/usr/bin/env python3
"""Sherpa side of the specnet fit peer check (bench/peer/compare_fit.sh runs both sides).

For every row of the TSV written by compare_fit.sh (name, data, RMF[,ARF], emin, emax, stat, model, start,
background) it fits the same spectrum in sherpa with the same counts, channels, response, statistic and starting
values, and prints specnet vs sherpa: parameter values, 1-sigma errors (specnet: sqrt(diag 2 H^-1); sherpa:
covar), the difference in units of specnet's error, and the relative statistic difference. Writes the tables as
markdown next to the TSV (peer_fit.md). Exit status 1 when a parameter differs by more than its error or a
statistic by more than 0.1%.

Matching choices (documented in docs/fitting.md):
- channels: specnet keeps a channel when EBOUNDS E_MIN >= emin and E_MAX <= emax and QUALITY is 0; the same mask
  is applied here (sherpa's notice(lo, hi) would keep channels that merely overlap the range).
- background: specnet's cstat ignores the background, so for cstat rows any background sherpa loaded from the
  BACKFILE keyword is removed; wstat rows load the background PHA in both (not subtracted).
- models: XSPEC powerlaw == sherpa powlaw1d (ref = 1 keV, integrated per bin); XSPEC gaussian (LineE, Sigma,
  norm) == sherpa normgauss1d (pos, fwhm = Sigma sqrt(8 ln 2), ampl), integrated per bin with erf in both.
"""
import json
import logging
import math
import os
import sys

import numpy as np
from astropy.io import fits
from sherpa.astro import ui

FWHM_PER_SIGMA = math.sqrt(8.0 * math.log(2.0))


def channel_mask(rmf_path, pha_path, emin, emax):
    """specnet's rule: the whole channel inside [emin, emax] and QUALITY 0 (bool per channel, file order)."""
    with fits.open(rmf_path) as f:
        eb = f["EBOUNDS"].data
        lo = np.asarray(eb["E_MIN"], dtype=float)
        hi = np.asarray(eb["E_MAX"], dtype=float)
    mask = (lo >= emin) & (hi <= emax)
    with fits.open(pha_path) as f:
        spec = f["SPECTRUM"]
        if "QUALITY" in spec.columns.names:
            mask &= np.asarray(spec.data["QUALITY"]) == 0
        elif int(spec.header.get("QUALITY", 0)) != 0:
            mask[:] = False
    return mask


def parse_start(start):
    out = {}
    for item in filter(None, start.split(",")):
        key, value = item.split("=")
        out[key.strip()] = float(value)
    return out


def build_model(model, start, tag):
    """Sherpa source for 'powerlaw' or 'powerlaw+gaussian' and a map specnet name -> (getter, error scale)."""
    pl = ui.create_model_component("powlaw1d", f"pl_{tag}")
    pl.ref = 1.0
    pl.ref.freeze()
    # specnet names the parameters powerlaw_1.PhoIndex ... in its output; a one-component start may omit the prefix
    pl.gamma = start.get("powerlaw_1.PhoIndex", start.get("PhoIndex"))
    pl.ampl = start.get("powerlaw_1.norm", start.get("norm"))
    pars = {"powerlaw_1.PhoIndex": (pl.gamma, 1.0), "powerlaw_1.norm": (pl.ampl, 1.0)}
    if model == "powerlaw":
        return pl, pars
    if model != "powerlaw+gaussian":
        raise SystemExit(f"fit_sherpa.py: unsupported model '{model}'")
    g = ui.create_model_component("normgauss1d", f"g_{tag}")
    g.pos = start["gaussian_2.LineE"]
    g.fwhm = start["gaussian_2.Sigma"] * FWHM_PER_SIGMA
    g.ampl = start["gaussian_2.norm"]
    pars.update({"gaussian_2.LineE": (g.pos, 1.0), "gaussian_2.Sigma": (g.fwhm, 1.0 / FWHM_PER_SIGMA),
                 "gaussian_2.norm": (g.ampl, 1.0)})
    return pl + g, pars


def fit_one(idx, row):
    name, data, rsp, emin, emax, stat, model, start, bkg = (row + [""] * 9)[:9]
    emin, emax = float(emin), float(emax)
    rmf, _, arf = rsp.partition(",")
    ui.load_pha(idx, data)
    ui.load_rmf(idx, rmf)
    if arf:
        ui.load_arf(idx, arf)
    d = ui.get_data(idx)
    for b in list(d.background_ids):
        d.delete_background(b)
    if bkg:
        ui.load_bkg(idx, bkg)
    ui.unsubtract(idx)
    mask = channel_mask(rmf, data, emin, emax)
    if d.grouped:
        ui.ungroup(idx)
    d.mask = mask
    ui.set_stat(stat)
    src, pars = build_model(model, parse_start(start), name)
    ui.set_source(idx, src)
    for method in ("levmar", "neldermead", "levmar"):
        ui.set_method(method)
        ui.fit(idx)
    fitres = ui.get_fit_results()
    ui.set_method("levmar")
    ui.covar(idx)
    cov = ui.get_covar_results()
    errs = dict(zip(cov.parnames, cov.parmaxes))
    result = {"stat": ui.calc_stat(idx), "dof": fitres.dof, "bins": int(d.get_dep(filter=True).size), "params": {}}
    for key, (par, scale) in pars.items():
        err = errs.get(par.fullname)
        result["params"][key] = (par.val * scale, None if err is None else err * scale)
    ui.delete_data(idx)  # later statistics (wstat needs a background) must not see this data set
    return name, model, stat, result


def fmt(x):
    return "nan" if x is None or not math.isfinite(x) else f"{x:.6g}"


def main():
    tsv = sys.argv[1]
    logging.getLogger("sherpa").setLevel(logging.WARNING)  # the per-fit reports; the table below has the results
    out_dir = os.path.dirname(os.path.abspath(tsv))
    ui.set_conf_opt("sigma", 1)
    ui.set_covar_opt("sigma", 1)
    rows = [line.rstrip("\n").split("\t") for line in open(tsv) if line.strip()]
    ok = True
    md = []
    for i, row in enumerate(rows, start=1):
        name, model, stat, sh = fit_one(i, row)
        sp = json.load(open(os.path.join(out_dir, f"{name}.specnet.json")))
        if sp["bins"] != sh["bins"]:
            print(f"{name}: bin count differs: specnet {sp['bins']}, sherpa {sh['bins']}")
            ok = False
        rel = (sh["stat"] - sp["statistic"]) / sp["statistic"]
        head = (f"### {name}: {model}, {stat}, {row[3]}-{row[4]} keV, {sp['bins']} bins\n\n"
                f"| parameter | specnet | sherpa | (sherpa - specnet) / err |\n| --- | --- | --- | --- |")
        lines = [head]
        for p in sp["params"]:
            v_sh, e_sh = sh["params"][p["name"]]
            v_sp, e_sp = p["value"], p["error"]
            dz = (v_sh - v_sp) / e_sp if e_sp else float("nan")
            ok &= math.isfinite(dz) and abs(dz) < 1.0
            lines.append(f"| {p['name']} | {fmt(v_sp)} ± {fmt(e_sp)} | {fmt(v_sh)} ± {fmt(e_sh)} | {dz:+.3f} |")
        ok &= abs(rel) < 1e-3
        lines.append(f"| {stat} / dof | {sp['statistic']:.4f} / {sp['dof']} | {sh['stat']:.4f} / {sh['dof']} "
                     f"| rel. diff {rel:+.2e} |")
        text = "\n".join(lines) + "\n"
        print(text)
        md.append(text)
    verdict = "PASS" if ok else "FAIL"
    md.append(f"Result: {verdict} (criterion: every |difference| < 1 error, every statistic within 0.1%)\n")
    print(md[-1])
    with open(os.path.join(out_dir, "peer_fit.md"), "w") as f:
        f.write("\n".join(md))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
