// XSPEC model expressions: parameter names and counts, evaluation against hand-combined components,
// set/get/freeze/link, limit checks and malformed expressions.
#include <cmath>
#include <string>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/error.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/energy_grid.h"

using namespace specnet;
using namespace specnet::sim;
using specnet::test::eval_model;

TEST_CASE("model parser: the paper's expressions give XSPEC-style parameter lists") {
  // zbremss stands in for apec (kT, Redshift, norm) in the two-temperature model.
  CompositeModel two_t("tbabs*(zbremss+zbremss)");
  CHECK(two_t.param_names() == std::vector<std::string>{"tbabs_1.nH", "zbremss_2.kT", "zbremss_2.Redshift",
                                                        "zbremss_2.norm", "zbremss_3.kT", "zbremss_3.Redshift",
                                                        "zbremss_3.norm"});
  CHECK(two_t.component_names() == std::vector<std::string>{"tbabs_1", "zbremss_2", "zbremss_3"});
  CompositeModel t_pl("tbabs*(bremss+powerlaw)");
  CHECK(t_pl.num_params() == 5);
  CHECK(t_pl.param_names()[3] == "powerlaw_3.PhoIndex");
  CompositeModel disk("tbabs*simpl(diskbb)");
  CHECK(disk.param_names() ==
        std::vector<std::string>{"tbabs_1.nH", "simpl_2.Gamma", "simpl_2.FracSctr", "diskbb_3.Tin", "diskbb_3.norm"});
  CompositeModel cut("tbabs*simplcut(ezdiskbb)");
  CHECK(cut.num_params() == 6);
  CHECK(cut.params()[3].frozen);  // simplcut kT_e is frozen by default
  CHECK(cut.params()[3].name == "simplcut_2.kT_e");
  CompositeModel c("constant*tbabs*(bremss+gaussian)");
  CHECK(c.num_params() == 7);
  CHECK(c.param_names()[0] == "constant_1.factor");
}

TEST_CASE("model parser: canonical expressions round-trip") {
  const auto edges = log_grid(0.3, 80.0, 100);
  struct Case {
    const char* expr;
    const char* canonical;
  };
  for (const Case& c :
       std::vector<Case>{{"tbabs*(zbremss+zbremss)", "tbabs*(zbremss+zbremss)"},
                         {"TBabs * ( bremss + pow )", "tbabs*(bremss+powerlaw)"},
                         {"tbabs*simpl*diskbb", "tbabs*simpl(diskbb)"},
                         {"tbabs(simplcut(ezdiskbb))", "tbabs*simplcut(ezdiskbb)"},
                         {"0.5*tbabs*(bremss+gaussian)+powerlaw", "0.5*tbabs*(bremss+gaussian)+powerlaw"},
                         {"((powerlaw))", "powerlaw"}}) {
    CAPTURE(c.expr);
    CompositeModel m(c.expr);
    CHECK(m.canonical_expression() == c.canonical);
    CompositeModel again(m.canonical_expression());
    CHECK(again.param_names() == m.param_names());
    CHECK(again.canonical_expression() == m.canonical_expression());
    CHECK(again.evaluate(edges) == m.evaluate(edges));
  }
}

TEST_CASE("model parser: evaluation equals the components combined by hand") {
  const auto edges = log_grid(0.3, 80.0, 300);
  CompositeModel m("tbabs*(bremss+powerlaw)");
  m.set("tbabs_1.nH", 0.7);
  m.set("bremss_2.kT", 4.0);
  m.set("2:norm", 0.02);  // component:name alias
  m.set("4", 1.6);        // XSPEC global parameter number
  m.set("powerlaw_3.norm", 0.3);
  CHECK(m.get("powerlaw_3.PhoIndex") == 1.6);
  CHECK(m.get("nH") == 0.7);  // a unique bare name is accepted
  const auto out = m.evaluate(edges);
  const auto t = eval_model("tbabs", edges, {0.7});
  const auto b = eval_model("bremss", edges, {4.0, 0.02});
  const auto p = eval_model("powerlaw", edges, {1.6, 0.3});
  REQUIRE(out.size() == edges.size() - 1);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == doctest::Approx(t[i] * (b[i] + p[i])).epsilon(1e-14));

  // Convolution: applied to its argument, also in the `conv*rest` form, and numbers are constants.
  CompositeModel s1("tbabs*simpl(diskbb)"), s2("tbabs*simpl*diskbb"), s3("2*tbabs*simpl(diskbb)");
  const auto d = eval_model("diskbb", edges, {1.0, 1.0});
  const auto sd = eval_model("simpl", edges, {2.3, 0.05}, d);
  const auto t1 = eval_model("tbabs", edges, {1.0});
  const auto o1 = s1.evaluate(edges), o2 = s2.evaluate(edges), o3 = s3.evaluate(edges);
  for (std::size_t i = 0; i < o1.size(); ++i) {
    CHECK(o1[i] == doctest::Approx(t1[i] * sd[i]).epsilon(1e-14));
    CHECK(o2[i] == o1[i]);
    CHECK(o3[i] == doctest::Approx(2 * o1[i]).epsilon(1e-14));
  }
  CHECK(s3.params()[0].frozen);
  CHECK(s3.get("constant_1.factor") == 2.0);
  CHECK(s3.free_indices().size() == 5);
}

TEST_CASE("model parser: linking and freezing") {
  CompositeModel m("tbabs*(zbremss+zbremss)");
  CHECK(m.free_indices().size() == 5);  // redshifts frozen by default
  m.thaw("zbremss_2.Redshift");
  m.set("zbremss_2.Redshift", 0.1);
  m.link("zbremss_3.Redshift", "zbremss_2.Redshift");  // as the 2T model links redshift (and abundance)
  CHECK(m.get("zbremss_3.Redshift") == 0.1);
  m.set("zbremss_2.Redshift", 0.2);
  CHECK(m.get("zbremss_3.Redshift") == 0.2);
  CHECK_THROWS_WITH(m.set("zbremss_3.Redshift", 0.5), doctest::Contains("is linked to zbremss_2.Redshift"));
  CHECK_THROWS_WITH(m.link("zbremss_2.Redshift", "zbremss_3.Redshift"), doctest::Contains("cycle"));
  CHECK_THROWS_WITH(m.link("zbremss_2.kT", "zbremss_2.kT"), doctest::Contains("to itself"));
  m.thaw("zbremss_3.Redshift");
  CHECK(m.free_indices().size() == 6);  // a linked parameter is never free
  // Evaluation uses the linked value: equal to a model with both redshifts set by hand.
  const auto edges = log_grid(0.5, 10.0, 50);
  CompositeModel hand("tbabs*(zbremss+zbremss)");
  hand.set("zbremss_2.Redshift", 0.2);
  hand.set("zbremss_3.Redshift", 0.2);
  CHECK(m.evaluate(edges) == hand.evaluate(edges));
  m.unlink("zbremss_3.Redshift");
  CHECK(m.get("zbremss_3.Redshift") == 0.2);
  m.set("zbremss_3.Redshift", 0.3);
  CHECK(m.get("zbremss_2.Redshift") == 0.2);

  m.freeze("tbabs_1.nH");
  const auto free = m.free_values();
  CHECK(free.size() == 6);
  std::vector<double> changed(free);
  changed[0] = 5.0;  // zbremss_2.kT
  m.set_free_values(changed);
  CHECK(m.get("zbremss_2.kT") == 5.0);
  CHECK_THROWS_WITH(m.set_free_values({1.0}), doctest::Contains("6 free parameters"));
  // A copy is independent.
  CompositeModel copy = m;
  copy.set("zbremss_2.kT", 6.0);
  CHECK(m.get("zbremss_2.kT") == 5.0);
}

TEST_CASE("model parser: bad parameters and malformed expressions give clear errors") {
  CompositeModel m("tbabs*(bremss+powerlaw)");
  CHECK_THROWS_WITH(m.set("bremss_2.kT", std::nan("")), doctest::Contains("bremss_2.kT is NaN"));
  CHECK_THROWS_WITH(m.set("bremss_2.kT", 500.0), doctest::Contains("bremss_2.kT = 500 is outside its hard limits"));
  CHECK_THROWS_WITH(m.set("tbabs_1.nH", -1.0), doctest::Contains("tbabs_1.nH"));
  CHECK_THROWS_WITH(m.set("kT2", 1.0), doctest::Contains("has no parameter 'kT2'"));
  CHECK_THROWS_WITH(m.set("norm", 1.0), doctest::Contains("ambiguous"));
  CHECK_THROWS_WITH(m.set("9", 1.0), doctest::Contains("has no parameter"));
  CHECK_THROWS_WITH(m.evaluate({1.0, 3.0, 2.0}), doctest::Contains("strictly increasing"));
  CHECK_THROWS_WITH(m.evaluate({1.0}), doctest::Contains("at least 2"));
  CHECK_THROWS_WITH(m.set_free_values({1, 2, 3, 4, std::nan("")}), doctest::Contains("powerlaw_3.norm is NaN"));

  struct Bad {
    const char* expr;
    const char* message;
  };
  for (const Bad& b :
       std::vector<Bad>{{"tbabs*(powerlaw", "is missing ')' at the end"},
                        {"tbabs*powerlaw)", "unexpected ')' at position 15"},
                        {"tbabs*(apecc+powerlaw)", "unknown model 'apecc'; known models: apec, bknpower"},
                        {"", "is empty"},
                        {"tbabs*", "ends where a model name"},
                        {"tbabs", "no additive component"},
                        {"tbabs+powerlaw", "adds a multiplicative term"},
                        {"powerlaw*bremss", "multiplies two additive terms"},
                        {"powerlaw(bremss)", "gives additive model 'powerlaw' an argument"},
                        {"tbabs*simpl", "convolution with nothing to act on"},
                        {"simpl(tbabs)", "to a multiplicative term"},
                        {"tbabs*(powerlaw+)", "expects a model name, number or '(' before ')' at position 17"},
                        {"powerlaw $ bremss", "unexpected '$'"},
                        {"1e12*powerlaw", "outside"}}) {
    CAPTURE(b.expr);
    CHECK_THROWS_WITH_AS(CompositeModel(b.expr), doctest::Contains(b.message), Error);
  }
  const std::string deep = std::string(100000, '(') + "powerlaw" + std::string(100000, ')');
  CHECK_THROWS_WITH_AS(CompositeModel{deep}, doctest::Contains("nests parentheses deeper than 200"), Error);
  CompositeModel moved("powerlaw");
  CompositeModel taken = std::move(moved);
  CHECK(taken.num_params() == 2);
}
