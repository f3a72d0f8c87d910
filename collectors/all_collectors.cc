#include "collectors/all_collectors.h"

#include "collectors/controller.h"
#include "collectors/fairshare.h"
#include "collectors/job_efficiency.h"
#include "collectors/jobs.h"
#include "collectors/node_detail.h"
#include "collectors/nodes.h"
#include "collectors/partitions.h"

namespace slurm_exporter {

std::vector<std::unique_ptr<Collector>> AllCollectors() {
  std::vector<std::unique_ptr<Collector>> all;
  all.push_back(std::make_unique<NodesCollector>());
  all.push_back(std::make_unique<PartitionsCollector>());
  all.push_back(std::make_unique<NodeDetailCollector>());
  all.push_back(std::make_unique<NodeFeaturesCollector>());
  all.push_back(std::make_unique<NodeLoadCollector>());
  all.push_back(std::make_unique<JobsCollector>());
  all.push_back(std::make_unique<JobsByOwnerCollector>(/*by_user=*/true));
  all.push_back(std::make_unique<JobsByOwnerCollector>(/*by_user=*/false));
  all.push_back(std::make_unique<ControllerCollector>());
  all.push_back(std::make_unique<SchedulerCollector>());
  all.push_back(std::make_unique<RpcUsersCollector>());
  all.push_back(std::make_unique<DbdCollector>());
  all.push_back(std::make_unique<AccountingDbCollector>());
  all.push_back(std::make_unique<MungeCollector>());
  all.push_back(std::make_unique<LicensesCollector>());
  all.push_back(std::make_unique<ReservationsCollector>());
  all.push_back(std::make_unique<FairshareCollector>(/*users=*/false));
  all.push_back(std::make_unique<FairshareCollector>(/*users=*/true));
  all.push_back(std::make_unique<JobEfficiencyCollector>(JobEfficiencyCollector::By::kPartition));
  all.push_back(std::make_unique<JobEfficiencyCollector>(JobEfficiencyCollector::By::kAccount));
  all.push_back(std::make_unique<JobEfficiencyCollector>(JobEfficiencyCollector::By::kUser));
  return all;
}

}  // namespace slurm_exporter
