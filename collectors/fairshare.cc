#include "collectors/fairshare.h"

#include <cmath>
#include <functional>

namespace slurm_exporter {
namespace {

using Pick = std::function<bool(const Association&)>;

// One gauge family over the associations `pick` keeps; NaN values (not computed by Slurm)
// are left out rather than exposed as NaN.
void Family(MetricSink& out, const Fairshare& fs, const Pick& pick, const char* name,
            const char* help, double (*value)(const Association&)) {
  out.Gauge(name, help);
  for (const Association& a : fs.associations) {
    if (!pick(a)) continue;
    const double v = value(a);
    if (std::isnan(v)) continue;
    if (a.user.empty()) {
      out.Add(v, "account", a.account);
    } else {
      out.Add(v, {{"account", a.account}, {"user", a.user}, {"partition", a.partition}});
    }
  }
}

// Per TRES: one series for each TRES where `keep` holds.
void TresFamily(MetricSink& out, const Fairshare& fs, const Pick& pick, const char* name,
                const char* help, double (*value)(const Association&, size_t),
                bool (*keep)(const Association&, size_t)) {
  out.Gauge(name, help);
  for (const Association& a : fs.associations) {
    if (!pick(a)) continue;
    for (size_t i = 0; i < fs.tres_names.size() && i < a.grp_tres.size(); ++i) {
      if (!keep(a, i)) continue;
      out.Add(value(a, i), {{"account", a.account}, {"tres", fs.tres_names[i]}});
    }
  }
}

double RawShares(const Association& a) {
  return a.is_root || a.shares_from_parent ? std::nan("") : static_cast<double>(a.shares_raw);
}

void AccountFamilies(MetricSink& out, const Fairshare& fs) {
  const Pick accounts = [](const Association& a) { return a.user.empty(); };
  Family(out, fs, accounts, "slurm_account_fairshare_shares",
         "The account's RawShares (its Fairshare=N; absent for root and Fairshare=parent).",
         RawShares);
  Family(out, fs, accounts, "slurm_account_fairshare_shares_normalized",
         "The account's NormShares: its shares as a fraction of the whole tree's.",
         [](const Association& a) { return a.shares_norm; });
  Family(out, fs, accounts, "slurm_account_fairshare_level",
         "The account's LevelFS (Fair Tree): NormShares over EffectvUsage among its siblings; "
         "+Inf when it has used nothing.",
         [](const Association& a) { return a.level_fs; });
  Family(out, fs, accounts, "slurm_account_usage_raw_seconds",
         "The account's RawUsage: decayed usage in billing-weighted seconds (CPU-seconds "
         "without TRESBillingWeights).",
         [](const Association& a) { return a.usage_raw; });
  Family(out, fs, accounts, "slurm_account_usage_normalized",
         "The account's NormUsage: its RawUsage as a fraction of the cluster's.",
         [](const Association& a) { return a.usage_norm; });
  Family(out, fs, accounts, "slurm_account_usage_effective",
         "The account's EffectvUsage, as sshare defines it for the priority algorithm in use.",
         [](const Association& a) { return a.usage_efctv; });
  Family(out, fs, accounts, "slurm_account_jobs_running",
         "Running jobs of the account and its children (the usage of GrpJobs).",
         [](const Association& a) { return static_cast<double>(a.used_jobs); });
  Family(out, fs, accounts, "slurm_account_grp_jobs_limit",
         "The account's GrpJobs limit, where one is set.", [](const Association& a) {
           return a.grp_jobs == kNoLimit32 ? std::nan("") : static_cast<double>(a.grp_jobs);
         });
  TresFamily(
      out, fs, accounts, "slurm_account_usage_tres_seconds",
      "The account's decayed usage per TRES in TRES-seconds (mem: megabyte-seconds); sshare's "
      "GrpTRESRaw is this in whole minutes. TRES with no usage are left out.",
      [](const Association& a, size_t i) { return a.usage_tres_raw[i]; },
      [](const Association& a, size_t i) { return a.usage_tres_raw[i] > 0; });
  auto limited = [](const Association& a, size_t i) { return a.grp_tres[i] != kNoLimit64; };
  TresFamily(
      out, fs, accounts, "slurm_account_grp_tres_limit",
      "The account's GrpTRES limit per TRES, where one is set (mem in megabytes).",
      [](const Association& a, size_t i) { return static_cast<double>(a.grp_tres[i]); }, limited);
  TresFamily(
      out, fs, accounts, "slurm_account_grp_tres_used",
      "TRES allocated now to the account's jobs, for each TRES with a GrpTRES limit (mem in "
      "megabytes).",
      [](const Association& a, size_t i) { return static_cast<double>(a.grp_tres_used[i]); },
      limited);
}

void UserFamilies(MetricSink& out, const Fairshare& fs) {
  const Pick users = [](const Association& a) { return !a.user.empty(); };
  Family(out, fs, users, "slurm_user_fairshare_factor",
         "The user association's FairShare factor (0-1) as sshare prints it.",
         [](const Association& a) { return a.fs_factor; });
  Family(out, fs, users, "slurm_user_fairshare_shares_normalized",
         "The user association's NormShares.", [](const Association& a) { return a.shares_norm; });
  Family(out, fs, users, "slurm_user_fairshare_level",
         "The user association's LevelFS (Fair Tree); +Inf when it has used nothing.",
         [](const Association& a) { return a.level_fs; });
  Family(out, fs, users, "slurm_user_usage_raw_seconds",
         "The user association's RawUsage: decayed billing-weighted seconds.",
         [](const Association& a) { return a.usage_raw; });
  Family(out, fs, users, "slurm_user_usage_normalized", "The user association's NormUsage.",
         [](const Association& a) { return a.usage_norm; });
  Family(out, fs, users, "slurm_user_usage_effective", "The user association's EffectvUsage.",
         [](const Association& a) { return a.usage_efctv; });
  Family(out, fs, users, "slurm_user_jobs_running", "Running jobs of the user association.",
         [](const Association& a) { return static_cast<double>(a.used_jobs); });
}

}  // namespace

std::string_view FairshareCollector::Description() const {
  return users_ ? "Fairshare factor and usage per user association (cardinality: per user)"
                : "Fairshare and usage per account from slurmctld's association manager";
}

Status FairshareCollector::Collect(const Snapshot& snapshot, MetricSink& out) const {
  const auto& src = snapshot.fairshare;
  if (!src.data) return SourceStatus(src, "fairshare");
  const Fairshare& fs = *src.data;
  if (!fs.multifactor) {
    return NothingToExpose("PriorityType is " + fs.priority_type +
                           ", not priority/multifactor: Slurm keeps no usage or fairshare");
  }
  if (users_) {
    UserFamilies(out, fs);
  } else {
    AccountFamilies(out, fs);
  }
  return SourceStatus(src, "fairshare");
}

}  // namespace slurm_exporter
