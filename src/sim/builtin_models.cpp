// Link list of the built-in models: keeps each model's object file (and so its static registration) when
// specnet is linked as a static archive. Unneeded when the archive is linked whole (see docs/sim_models.md).
#include "specnet/sim/model.h"

SPECNET_USE_MODEL(apec);
SPECNET_USE_MODEL(bknpower);
SPECNET_USE_MODEL(bremss);
SPECNET_USE_MODEL(constant);
SPECNET_USE_MODEL(cutoffpl);
SPECNET_USE_MODEL(diskbb);
SPECNET_USE_MODEL(ezdiskbb);
SPECNET_USE_MODEL(gaussian);
SPECNET_USE_MODEL(lorentz);
SPECNET_USE_MODEL(powerlaw);
SPECNET_USE_MODEL(simpl);
SPECNET_USE_MODEL(simplcut);
SPECNET_USE_MODEL(tbabs);
SPECNET_USE_MODEL(zbremss);
SPECNET_USE_MODEL(zgauss);
SPECNET_USE_MODEL(zpowerlw);

namespace specnet::sim::detail {
// Referenced by the registry so that this file, and through it every model above, is linked.
int builtin_models_linked = 1;
}  // namespace specnet::sim::detail
