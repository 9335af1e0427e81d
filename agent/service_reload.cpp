// Hot reload (SIGHUP, POST /api/v1/reload): read the file again, build what
// changed, and swap it in without losing or repeating a record. See
// docs/hot-reload.md for what a user sees.
//
// Order of a swap, all on the main thread between two chunks:
//   1. inputs the new file changes or drops stop reading;
//   2. filters it changes or drops emit what they hold, down the old chain;
//   3. new outputs start; the pipeline takes the new filter chain and outputs;
//   4. each replaced output hands its queue and its retries to its new
//      version (batches in flight finish where they are); a dropped output
//      delivers what it holds within `grace`;
//   5. a stopped input waits until everything it emitted was acknowledged,
//      commits its positions, and its new version starts from them.
// Components whose configuration didn't change keep running untouched: a
// tail keeps its files open, the Lua aggregator its open requests.
#include <algorithm>
#include <map>

#include "agent/join.hpp"
#include "agent/log.hpp"
#include "agent/service_impl.hpp"

namespace sluice {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// How long a replaced input may take to see its records acknowledged before
// its successor starts anyway (which may then read its last lines again).
constexpr std::chrono::seconds kSettleLimit{30};

struct Tally {
  std::vector<std::string> kept, added, changed, removed;
  std::string say(std::string_view kind) const {
    std::string s(kind);
    s += ": ";
    std::vector<std::string> parts;
    if (!changed.empty()) parts.push_back("rebuilt " + join(changed, ", "));
    if (!added.empty()) parts.push_back("added " + join(added, ", "));
    if (!removed.empty()) parts.push_back("removed " + join(removed, ", "));
    parts.push_back(std::to_string(kept.size()) + " unchanged");
    return s + join(parts, "; ");
  }
  bool any_change() const { return !changed.empty() || !added.empty() || !removed.empty(); }
};

}  // namespace

void Service::Impl::wait_hangup() {
  hangup.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    if (!cfg().service.get_bool("hot_reload")) {
      log::warn("SIGHUP: hot reload is off (set service.hot_reload: on); the configuration was not read again");
    } else {
      log::info("SIGHUP: reloading {}", config_path);
      reload([](const ReloadResult&) {});  // the outcome is logged
    }
    wait_hangup();
  });
}

void Service::Impl::reload(ReloadDone done) {
  if (stopping) {
    done({false, "sluice is stopping"});
    return;
  }
  if (!cfg().service.get_bool("hot_reload")) {
    done({false, "hot reload is off: set service.hot_reload: on (and restart)"});
    return;
  }
  reload_waiting.push_back(std::move(done));
  if (!reloading) start_reload();
}

void Service::Impl::start_reload() {
  reloading = true;
  reload_running = std::move(reload_waiting);
  reload_waiting.clear();
  reload_errors.clear();
  Plan p;
  try {
    auto cfg = std::make_unique<config::PipelineConfig>(config::load_file(config_path));
    for (const auto& w : cfg->warnings) log::warn("reload: configuration: {}", w);
    p = plan(std::move(cfg));
  } catch (const config::ConfigError& e) {
    log::error("reload refused; the running pipeline is unchanged: {}", e.what());
    reload_finished(false, std::string("configuration error: ") + e.what());
    return;
  } catch (const std::exception& e) {
    log::error("reload refused; the running pipeline is unchanged: {}", e.what());
    reload_finished(false, e.what());
    return;
  }
  apply(std::move(p));
}

void Service::Impl::apply(Plan p) {
  const auto& svc = p.cfg->service;
  auto now = Clock::now();

  std::vector<std::string> need_restart;
  for (const auto& key : p.service_changes) {
    if (key == "log_level") {
      log::set_level(svc.get_string("log_level"));
    } else if (key == "grace") {
      grace = svc.get_duration("grace");
    } else if (key == "http_server" || key == "http_listen" || key == "http_port" || key.starts_with("storage.") ||
               key == "dead_letter_file" || key == "log_file") {
      need_restart.push_back("service." + key);
    }
    // mem_limit and hot_reload apply below; flush is part of each output's fingerprint.
  }
  if (!need_restart.empty())
    log::warn("reload: {} changed: takes effect at the next start", join(need_restart, ", "));

  // 1. Inputs the new file changes or drops stop reading now.
  Tally in_tally, filter_tally, out_tally;
  std::map<std::string, Plan::InputPlan*> planned_inputs;
  for (auto& in : p.inputs) planned_inputs[in.name] = &in;
  for (auto& slot : inputs) {
    auto it = planned_inputs.find(slot->instance());
    if (it != planned_inputs.end() && !it->second->fresh) continue;  // unchanged
    if (slot->started) slot->input->stop();
    slot->leaving = true;
    slot->leaving_since = now;
  }

  // 2. Filters it changes or drops emit what they hold, down the chain as it was.
  std::map<std::string, size_t> old_filter_at;
  for (size_t i = 0; i < filter_ctxs.size(); ++i) old_filter_at[filter_ctxs[i]->instance()] = i;
  std::vector<bool> filter_kept(filter_ctxs.size(), false);
  for (const auto& f : p.filters) {
    auto it = old_filter_at.find(f.name);
    if (!f.fresh.filter && it != old_filter_at.end()) filter_kept[it->second] = true;
  }
  for (size_t i = 0; i < filter_kept.size(); ++i)
    if (!filter_kept[i]) pipeline->filters()[i].filter->flush();

  // 3. New outputs start; the pipeline takes the new chain and outputs.
  std::map<std::string, size_t> old_output_at;
  for (size_t i = 0; i < outputs.size(); ++i) old_output_at[outputs[i].runner->instance()] = i;
  std::vector<OutputSlot> next_outputs;
  std::vector<OutputRunner*> runner_ptrs;
  for (auto& o : p.outputs) {
    auto old = old_output_at.find(o.name);
    if (!o.fresh) {
      next_outputs.push_back(std::move(outputs[old->second]));
      out_tally.kept.push_back(o.name);
    } else {
      start_output(*o.fresh);
      (old == old_output_at.end() ? out_tally.added : out_tally.changed).push_back(o.name);
      next_outputs.push_back({o.fingerprint, std::move(o.fresh)});
    }
    runner_ptrs.push_back(next_outputs.back().runner.get());
  }
  std::vector<FilterSlot> chain;
  std::vector<std::unique_ptr<FilterCtx>> chain_ctxs;
  std::vector<size_t> to_start;
  for (auto& f : p.filters) {
    auto old = old_filter_at.find(f.name);
    if (!f.fresh.filter) {
      chain.push_back(std::move(pipeline->filters()[old->second]));
      chain_ctxs.push_back(std::move(filter_ctxs[old->second]));
      chain_ctxs.back()->move_to(chain.size() - 1);
      filter_tally.kept.push_back(f.name);
    } else {
      (old == old_filter_at.end() ? filter_tally.added : filter_tally.changed).push_back(f.name);
      chain_ctxs.push_back(std::make_unique<FilterCtx>(*this, f.name, chain.size(), f.fingerprint));
      chain.push_back(std::move(f.fresh));
      to_start.push_back(chain.size() - 1);
    }
  }
  for (const auto& old : old_filter_at) {
    const std::string& name = old.first;  // (clang 14 can't capture a structured binding)
    if (!filter_kept[old.second] &&
        std::none_of(p.filters.begin(), p.filters.end(), [&](auto& f) { return f.name == name; }))
      filter_tally.removed.push_back(name);
  }
  // The old filters not carried over are destroyed here, before their contexts.
  pipeline->reconfigure(std::move(chain), std::move(runner_ptrs), svc.get_size("mem_limit"));
  filter_ctxs = std::move(chain_ctxs);
  for (size_t i : to_start) {
    log::Scope scope(pipeline->filters()[i].log_level);
    pipeline->filters()[i].filter->start(*filter_ctxs[i]);
  }

  // 4. Replaced outputs hand over; dropped ones deliver what they hold.
  for (auto& old : outputs) {
    if (!old.runner) continue;  // carried over
    OutputRunner* raw = old.runner.get();
    if (ProcessorChain* pc = raw->processors()) pc->flush();  // into its queue, which moves on or drains
    auto successor = std::find_if(next_outputs.begin(), next_outputs.end(),
                                  [&](const OutputSlot& o) { return o.runner->instance() == raw->instance(); });
    if (successor != next_outputs.end()) {
      retiring.push_back(std::move(old.runner));
      raw->hand_over(*successor->runner, [this, raw] { asio::post(io, [this, raw] { forget_retired(raw); }); });
    } else {
      out_tally.removed.push_back(raw->instance());
      removed.push_back(std::move(old.runner));
      auto deadline = now + grace;
      retire_threads.emplace_back([this, raw, deadline] {
        if (uint64_t left = raw->drain(deadline))
          log::error("output {} (removed by a reload): {} records not delivered within grace; file inputs read "
                     "them again at the next start", raw->instance(), left);
        asio::post(io, [this, raw] { forget_retired(raw); });
      });
    }
  }
  outputs = std::move(next_outputs);

  // 5. Inputs: unchanged ones keep running, new ones start now, replaced ones
  // once their predecessor settled (settle_inputs).
  std::map<std::string, std::unique_ptr<InputSlot>> old_slots;
  for (auto& slot : inputs) old_slots[slot->instance()] = std::move(slot);
  inputs.clear();
  std::vector<InputSlot*> to_start_inputs;
  for (auto& in : p.inputs) {
    auto old = old_slots.find(in.name);
    if (old == old_slots.end()) {
      auto slot = std::make_unique<InputSlot>(*this, in.name);
      slot->input = std::move(in.fresh);
      slot->fingerprint = in.fingerprint;
      slot->plugin = in.plugin;
      slot->filesystem = in.filesystem;
      slot->parts = std::move(in.parts);
      to_start_inputs.push_back(slot.get());
      inputs.push_back(std::move(slot));
      in_tally.added.push_back(in.name);
      continue;
    }
    auto slot = std::move(old->second);
    old_slots.erase(old);
    if (in.fresh) {
      slot->next = std::move(in.fresh);
      slot->next_fingerprint = in.fingerprint;
      slot->next_plugin = in.plugin;
      slot->next_parts = std::move(in.parts);
      in_tally.changed.push_back(in.name);
    } else {
      in_tally.kept.push_back(in.name);
    }
    inputs.push_back(std::move(slot));
  }
  for (auto& [name, slot] : old_slots) {
    in_tally.removed.push_back(name);
    leaving_inputs.push_back(std::move(slot));
  }
  storage_limits->configure(std::move(p.storage_limits));
  for (InputSlot* slot : to_start_inputs) {
    try {
      open_buffer(*slot);
      slot->begin();
    } catch (const std::exception& e) {
      log::error("reload: input {} could not start: {}", slot->instance(), e.what());
      reload_errors += std::string(reload_errors.empty() ? "" : "; ") + "input " + slot->instance() +
                       " could not start: " + e.what();
    }
  }

  configs.push_back(std::move(p.cfg));
  if (p.parsers) parser_sets.push_back(std::move(p.parsers));
  if (in_tally.any_change() || filter_tally.any_change() || out_tally.any_change())
    reload_summary = "reloaded " + config_path + ": " + in_tally.say("inputs") + "; " + filter_tally.say("filters") +
                     "; " + out_tally.say("outputs");
  else
    reload_summary = "reloaded " + config_path + ": no component changed";
  if (!p.service_changes.empty()) reload_summary += "; service keys changed: " + join(p.service_changes, ", ");
  settle_inputs();
}

// Swaps each stopped input for its successor once everything it emitted was
// acknowledged: its positions are then final, and the successor starts from
// them. Polls on a short timer while any is waiting (only during a reload).
void Service::Impl::settle_inputs() {
  if (stopping) return;
  auto now = Clock::now();
  bool waiting = false;
  auto settle = [&](InputSlot& slot) -> bool {  // true once the slot is done leaving
    if (!slot.leaving) return true;
    if (slot.started && !slot.input->settled()) {
      if (now - slot.leaving_since < std::max<std::chrono::nanoseconds>(kSettleLimit, grace)) {
        waiting = true;
        return false;
      }
      log::warn("reload: input {}: records it emitted are still unacknowledged after {} s; its successor starts "
                "from the last delivered position and may read them again",
                slot.instance(),
                std::chrono::duration_cast<std::chrono::seconds>(now - slot.leaving_since).count());
    }
    std::unique_ptr<InputCarry> carry;
    if (slot.started) {
      slot.input->finish();
      if (slot.next && slot.next_plugin == slot.plugin) carry = slot.input->carry_over();
    }
    slot.input.reset();
    slot.started = false;
    slot.leaving = false;
    if (slot.parts.processors) slot.parts.processors->flush();  // what they hold, on to the pipeline
    if (!slot.next) return true;
    slot.parts = std::move(slot.next_parts);
    slot.input = std::move(slot.next);
    slot.fingerprint = std::move(slot.next_fingerprint);
    slot.plugin = std::move(slot.next_plugin);
    if (carry) slot.input->resume_from(std::move(carry));
    try {
      slot.begin();
    } catch (const std::exception& e) {
      log::error("reload: input {} could not start: {}", slot.instance(), e.what());
      reload_errors += std::string(reload_errors.empty() ? "" : "; ") + "input " + slot.instance() +
                       " could not start: " + e.what();
    }
    return true;
  };
  for (auto& slot : inputs) settle(*slot);
  std::erase_if(leaving_inputs, [&](const std::unique_ptr<InputSlot>& slot) { return settle(*slot); });
  if (waiting) {
    if (!settle_timer) settle_timer = std::make_unique<asio::steady_timer>(io);
    settle_timer->expires_after(std::chrono::milliseconds(50));
    settle_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec) settle_inputs();
    });
    return;
  }
  if (reload_errors.empty()) {
    log::info("{}", reload_summary);
    reload_finished(true, reload_summary);
  } else {
    reload_finished(false, reload_summary + "; " + reload_errors);
  }
}

void Service::Impl::forget_retired(OutputRunner* runner) {
  if (stopping) return;  // shutdown is draining it; it goes with the service
  for (auto* list : {&retiring, &removed}) {
    for (auto it = list->begin(); it != list->end(); ++it) {
      if (it->get() == runner) {
        list->erase(it);
        return;
      }
    }
  }
}

void Service::Impl::reload_finished(bool ok, const std::string& message) {
  auto done = std::move(reload_running);
  reload_running.clear();
  reloading = false;
  for (auto& d : done) d({ok, message});
  if (reload_waiting.empty()) return;
  // Requests that came in meanwhile: one more reload answers them all.
  asio::post(io, [this] {
    if (reloading || reload_waiting.empty()) return;
    if (stopping) {
      auto waiting = std::move(reload_waiting);
      reload_waiting.clear();
      for (auto& d : waiting) d({false, "sluice is stopping"});
      return;
    }
    start_reload();
  });
}

}  // namespace sluice
