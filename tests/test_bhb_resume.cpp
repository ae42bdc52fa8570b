// Crash-safe training of the BHB flow-autoencoder (issue #8): `specnet bhb train --resume` after a real SIGKILL at a
// known batch (SPECNET_TEST_STOP_AT) ends with bitwise the weights, optimizer state and history of an uninterrupted
// run, in stage 1 (decoder, dropout RNG) and stage 2 (encoder + flow, the flow-draw RNG); so does a run stopped by
// --time-limit and resumed; other settings are refused.
#include <filesystem>
#include <string>
#include <vector>

#include "crash_test_util.h"
#include "harness.h"
#include "ic_test_util.h"
#include "specnet/io/safetensors.h"

using namespace specnet;

namespace {

// Tensors and metadata of a checkpoint, without the wall times of the history.
void check_same_checkpoint(const std::string& a, const std::string& b) {
  const SafeTensors ca = load_safetensors(a), cb = load_safetensors(b);
  REQUIRE(ca.tensors.size() == cb.tensors.size());
  for (std::size_t i = 0; i < ca.tensors.size(); ++i) {
    CHECK(ca.tensors[i].first == cb.tensors[i].first);
    CHECK(ca.tensors[i].second.to_vector() == cb.tensors[i].second.to_vector());
  }
  for (const auto& [k, v] : ca.metadata)
    if (k != "user.history") CHECK_MESSAGE(cb.metadata.at(k) == v, k);
}

}  // namespace

TEST_CASE("bhb train: SIGKILL mid-epoch, then --resume gives bitwise the run that was never interrupted") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_bhb_resume");
  const std::string set = (dir / "set.bhb").string();
  auto [rc, out] = test::run_cli("dataset bhb --count 150 --seed 3 --quiet --out " + set, "SPECNET_NUM_THREADS=2");
  REQUIRE_MESSAGE(rc == 0, out);
  auto args = [&](int stage, const std::string& tag) {
    std::vector<std::string> a{"bhb", "train", "--data", set, "--stage", std::to_string(stage), "--epochs", "3",
                               "--batch", "12", "--transforms", "2", "--flow-hidden", "16,16", "--context", "16",
                               "--seed", "4", "--resume", "--out", (dir / (tag + ".safetensors")).string()};
    if (stage == 2) a.insert(a.end(), {"--init", (dir / "ref1.safetensors").string()});
    return a;
  };
  for (int stage : {1, 2}) {
    CAPTURE(stage);
    const std::string ref = "ref" + std::to_string(stage), run = "run" + std::to_string(stage);
    const int r = test::wait_exit(test::spawn_cli(args(stage, ref), (dir / (ref + ".log")).string(), {{"SPECNET_NUM_THREADS", "2"}}));
    REQUIRE_MESSAGE((WIFEXITED(r) && WEXITSTATUS(r) == 0), test::slurp((dir / (ref + ".log")).string()));
    // 135 training spectra, 11 batches an epoch: killed in batch 4 of epoch 2.
    const std::string killed = test::run_and_kill_at(args(stage, run), (dir / (run + ".log")).string(), 2, 4, "2");
    CHECK(killed.find("epoch   1/3") != std::string::npos);
    CHECK(killed.find("epoch   2/3") == std::string::npos);
    const std::string last = (dir / (run + ".safetensors.last")).string();
    REQUIRE(std::filesystem::exists(last));
    CHECK(load_safetensors(last).metadata.at("epoch") == "1");
    // Resumed on one thread (results do not depend on the thread count).
    const int s = test::wait_exit(test::spawn_cli(args(stage, run), (dir / (run + "_resume.log")).string(), {{"SPECNET_NUM_THREADS", "1"}}));
    const std::string log = test::slurp((dir / (run + "_resume.log")).string());
    REQUIRE_MESSAGE((WIFEXITED(s) && WEXITSTATUS(s) == 0), log);
    CHECK(log.find("resumed from " + last + " after epoch 1") != std::string::npos);
    CHECK(log.find("epoch   1/3") == std::string::npos);
    CHECK(log.find("epoch   3/3") != std::string::npos);
    check_same_checkpoint((dir / (ref + ".safetensors")).string(), (dir / (run + ".safetensors")).string());
    check_same_checkpoint((dir / (ref + ".safetensors.last")).string(), last);
  }
  // --time-limit: the call stops after the epoch whose successor would end past the limit, with its checkpoints
  // written and exit status 0; a resume with another limit (not part of the fingerprint) ends bitwise as the
  // reference. With --ema-decay, whose averages travel in OUT.last.
  {
    auto ema_args = [&](const std::string& tag) {
      auto a = args(2, tag);
      a.insert(a.end(), {"--ema-decay", "0.9"});
      return a;
    };
    const int e = test::wait_exit(test::spawn_cli(ema_args("ema2"), (dir / "ema2.log").string(), {{"SPECNET_NUM_THREADS", "2"}}));
    REQUIRE_MESSAGE((WIFEXITED(e) && WEXITSTATUS(e) == 0), test::slurp((dir / "ema2.log").string()));
    {
      // The best checkpoint holds the averages, OUT.last the live weights and the averages ("extra.ema.*").
      const SafeTensors best = load_safetensors((dir / "ema2.safetensors").string());
      const SafeTensors last = load_safetensors((dir / "ema2.safetensors.last").string());
      REQUIRE(best.metadata.at("epoch") == "3");  // seed 4: the averaged network improves every epoch
      auto tensor = [](const SafeTensors& f, const std::string& name) {
        for (const auto& [n, t] : f.tensors)
          if (n == name) return t.to_vector();
        FAIL("no tensor " << name);
        return std::vector<double>{};
      };
      const std::string w = "model.encoder.embed.weight";
      CHECK(tensor(best, w) == tensor(last, "extra.ema.module.encoder.embed.weight"));
      CHECK(tensor(best, w) != tensor(last, w));
      CHECK(tensor(last, "extra.ema.n_averaged")[0] == 33);  // 11 steps x 3 epochs
      CHECK(tensor(best, "model.decoder.out.weight") == tensor(last, "model.decoder.out.weight"));  // frozen
    }
    auto limited = ema_args("tl2");
    limited.insert(limited.end(), {"--time-limit", "1e-9"});
    const std::string log_path = (dir / "tl2.log").string(), last = (dir / "tl2.safetensors.last").string();
    const int t = test::wait_exit(test::spawn_cli(limited, log_path, {{"SPECNET_NUM_THREADS", "2"}}));
    const std::string log = test::slurp(log_path);
    REQUIRE_MESSAGE((WIFEXITED(t) && WEXITSTATUS(t) == 0), log);
    CHECK(log.find("epoch   1/3") != std::string::npos);
    CHECK(log.find("epoch   2/3") == std::string::npos);
    CHECK(log.find("stage 2 stopped") != std::string::npos);
    CHECK(log.find("time limit: continue with the same options and --resume") != std::string::npos);
    REQUIRE(std::filesystem::exists(last));
    CHECK(load_safetensors(last).metadata.at("epoch") == "1");
    auto resumed = ema_args("tl2");
    resumed.insert(resumed.end(), {"--time-limit", "1e6"});
    const int u = test::wait_exit(test::spawn_cli(resumed, (dir / "tl2_resume.log").string(), {{"SPECNET_NUM_THREADS", "2"}}));
    const std::string log2 = test::slurp((dir / "tl2_resume.log").string());
    REQUIRE_MESSAGE((WIFEXITED(u) && WEXITSTATUS(u) == 0), log2);
    CHECK(log2.find("resumed from " + last + " after epoch 1") != std::string::npos);
    CHECK(log2.find("stage 2 done") != std::string::npos);
    check_same_checkpoint((dir / "ema2.safetensors").string(), (dir / "tl2.safetensors").string());
    check_same_checkpoint((dir / "ema2.safetensors.last").string(), last);
    // The averages are part of the run: resuming without them is refused.
    std::string cmd;
    for (const auto& a : args(2, "tl2")) cmd += a + " ";
    std::tie(rc, out) = test::run_cli(cmd);
    CHECK(rc == 1);
    CHECK(out.find("belongs to another run") != std::string::npos);
    std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --ema-decay 1 --out " + (dir / "x.safetensors").string());
    CHECK(rc == 1);
    CHECK(out.find("--ema-decay must be in [0, 1)") != std::string::npos);
    std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --time-limit -1 --out " + (dir / "x.safetensors").string());
    CHECK(rc == 1);
    CHECK(out.find("--time-limit must be >= 0") != std::string::npos);
    std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --plateau-factor 1 --out " + (dir / "x.safetensors").string());
    CHECK(rc == 1);
    CHECK(out.find("--plateau-factor in (0, 1)") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "x.safetensors"));
  }
  // A checkpoint of other settings or another seed is refused with a clear error; the files stay as they were.
  auto other = args(1, "run1");
  other[9] = "10";  // --batch
  REQUIRE(other[8] == "--batch");
  std::tie(rc, out) = test::run_cli([&] {
    std::string c;
    for (const auto& a : other) c += a + " ";
    return c;
  }());
  CHECK(rc == 1);
  CHECK(out.find("belongs to another run") != std::string::npos);
  auto seed = args(1, "run1");
  seed[17] = "5";
  REQUIRE(seed[16] == "--seed");
  std::string cmd;
  for (const auto& a : seed) cmd += a + " ";
  std::tie(rc, out) = test::run_cli(cmd);
  CHECK(rc == 1);
  CHECK(out.find("was written with seed 4, this run uses 5") != std::string::npos);
  check_same_checkpoint((dir / "ref1.safetensors.last").string(), (dir / "run1.safetensors.last").string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("bhb train --lr-schedule cosine: the lr follows the cosine per epoch, and a time-limited run resumes bitwise") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_bhb_cosine");
  const std::string set = (dir / "set.bhb").string();
  auto [rc, out] = test::run_cli("dataset bhb --count 150 --seed 3 --quiet --out " + set, "SPECNET_NUM_THREADS=2");
  REQUIRE_MESSAGE(rc == 0, out);
  const std::string net = "--transforms 2 --flow-hidden 16,16 --context 16 --batch 12 --seed 4 ";
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --epochs 1 " + net + "--out " +
                                    (dir / "s1.safetensors").string());
  REQUIRE_MESSAGE(rc == 0, out);
  auto args = [&](const std::string& tag, const std::string& extra) {
    return "bhb train --data " + set + " --stage 2 --init " + (dir / "s1.safetensors").string() + " --epochs 3 " + net +
           "--lr 2e-3 --min-lr 1e-4 --lr-schedule cosine --resume --out " + (dir / (tag + ".safetensors")).string() +
           " " + extra;
  };
  auto lr_of = [](const std::string& path) {
    for (const auto& [n, t] : load_safetensors(path).tensors)
      if (n == "optimizer.param_groups.0.lr") return t.to_vector()[0];
    FAIL("no lr in " << path);
    return 0.0;
  };
  std::tie(rc, out) = test::run_cli(args("ref", ""));
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("lr 1.5e-03") != std::string::npos);  // after epoch 1: 1e-4 + 1.9e-3 (1 + cos(pi / 3)) / 2
  CHECK(lr_of((dir / "ref.safetensors.last").string()) == 1e-4);  // after the last epoch: the floor
  // Stopped after epoch 1 by the time limit, then resumed: the lr after epoch 1 is the cosine's, and the end is the
  // uninterrupted run's, bit for bit.
  std::tie(rc, out) = test::run_cli(args("tl", "--time-limit 1e-9"));
  REQUIRE_MESSAGE(rc == 0, out);
  const std::string last = (dir / "tl.safetensors.last").string();
  CHECK(lr_of(last) == doctest::Approx(1e-4 + 1.9e-3 * 0.75).epsilon(1e-12));
  std::tie(rc, out) = test::run_cli(args("tl", ""));
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("resumed from " + last + " after epoch 1") != std::string::npos);
  check_same_checkpoint((dir / "ref.safetensors").string(), (dir / "tl.safetensors").string());
  check_same_checkpoint((dir / "ref.safetensors.last").string(), last);
  // The schedule is part of the run: the plateau schedule does not resume it; unknown names are refused.
  std::string plateau = args("tl", "");
  plateau.replace(plateau.find("--lr-schedule cosine"), 20, "--lr-schedule plateau");
  std::tie(rc, out) = test::run_cli(plateau);
  CHECK(rc == 1);
  CHECK(out.find("belongs to another run") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --lr-schedule step --out " +
                                    (dir / "x.safetensors").string());
  CHECK(rc == 1);
  CHECK(out.find("unknown learning-rate schedule 'step'") != std::string::npos);
}

TEST_CASE("bhb train --init-optimizer: AdamW's moments and step counts go on from --init, at this run's lr") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_bhb_init_optimizer");
  const std::string set = (dir / "set.bhb").string();
  auto [rc, out] = test::run_cli("dataset bhb --count 150 --seed 3 --quiet --out " + set, "SPECNET_NUM_THREADS=2");
  REQUIRE_MESSAGE(rc == 0, out);
  const std::string net = "--transforms 2 --flow-hidden 16,16 --context 16 --batch 12 --seed 4 ";
  auto path = [&](const std::string& tag) { return (dir / (tag + ".safetensors")).string(); };
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --epochs 1 " + net + "--out " + path("s1"));
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 2 --init " + path("s1") + " --epochs 2 " + net +
                                    "--lr 2e-3 --out " + path("a"));
  REQUIRE_MESSAGE(rc == 0, out);
  // AdamW's per-parameter step count and the lr of a checkpoint (one flow parameter stands for all).
  auto state = [](const std::string& file) {
    double step = -1, lr = -1;
    for (const auto& [n, t] : load_safetensors(file).tensors) {
      if (n == "optimizer.param_groups.0.lr") lr = t.to_vector()[0];
      if (step < 0 && n.rfind("optimizer.state.flow.", 0) == 0 && n.size() > 5 && n.compare(n.size() - 5, 5, ".step") == 0)
        step = t.to_vector()[0];
    }
    return std::make_pair(step, lr);
  };
  const auto [step_a, lr_a] = state(path("a"));
  REQUIRE(step_a > 0);  // 11 batches an epoch (135 training spectra): 11 or 22, as the best epoch was 1 or 2
  CHECK(lr_a == 2e-3);
  auto cont = [&](const std::string& tag, const std::string& extra) {
    return test::run_cli("bhb train --data " + set + " --stage 2 --init " + path("a") + " --epochs 1 " + net +
                         "--lr 5e-4 --out " + path(tag) + " " + extra);
  };
  std::tie(rc, out) = cont("b", "--init-optimizer");
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(state(path("b")) == std::make_pair(step_a + 11, 5e-4));
  std::tie(rc, out) = cont("c", "");  // fresh moments
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(state(path("c")) == std::make_pair(11.0, 5e-4));
  // A stage-1 checkpoint holds no moments for the encoder and flow; stage 1 has no --init to take them from.
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 2 --init " + path("s1") + " --epochs 1 " + net +
                                    "--init-optimizer --out " + path("d"));
  CHECK(rc == 1);
  CHECK(out.find("holds no moments for the trainable parameter(s) 'encoder.") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --epochs 1 " + net + "--init-optimizer --out " +
                                    path("e"));
  CHECK(rc == 1);
  CHECK(out.find("--init-optimizer needs --init: stages 2 and 3") != std::string::npos);
}
