// The `null` output; see null_output.hpp.
#include "outputs/null/null_output.hpp"

namespace sluice {

namespace {

// Runs on its worker thread; every flush succeeds at once.
class NullOutput final : public Output {
 public:
  void flush(const Batch& /*batch*/, FlushDone done) override { done(FlushResult::delivered()); }
};

}  // namespace

const config::PluginSchema& null_output_schema() {
  static const config::PluginSchema schema{"null", "Discards every record (for benchmarks and tests).", {}};
  return schema;
}

std::unique_ptr<Output> make_null_output(const config::ComponentConfig& /*cfg*/, const BuildContext& /*ctx*/) {
  return std::make_unique<NullOutput>();
}

}  // namespace sluice
