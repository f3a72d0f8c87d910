/* The physical floor for an exporter: a bare libslurm client that makes the same RPCs as one
 * poll of slurm_exporter (nodes with SHOW_MIXED|SHOW_DETAIL, partitions, jobs) and holds the
 * replies, then prints each call's time and its own peak RSS. A benchmark tool only. */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) sscanf(line + 6, "%ld", &v);
  }
  if (f) fclose(f);
  return v;
}

int main(void) {
  slurm_init(NULL);
  node_info_msg_t* nodes = NULL;
  partition_info_msg_t* parts = NULL;
  job_info_msg_t* jobs = NULL;
  double t0 = now();
  if (slurm_load_node(0, &nodes, SHOW_ALL | SHOW_MIXED | SHOW_FUTURE | SHOW_DETAIL)) {
    slurm_perror("slurm_load_node");
    return 1;
  }
  double t1 = now();
  if (slurm_load_partitions(0, &parts, SHOW_ALL)) {
    slurm_perror("slurm_load_partitions");
    return 1;
  }
  double t2 = now();
  if (slurm_load_jobs(0, &jobs, SHOW_ALL)) {
    slurm_perror("slurm_load_jobs");
    return 1;
  }
  double t3 = now();
  printf("nodes=%u partitions=%u job_records=%u\n", nodes->record_count, parts->record_count,
         jobs->record_count);
  printf("load_node_seconds=%.6f\nload_partitions_seconds=%.6f\nload_jobs_seconds=%.6f\n",
         t1 - t0, t2 - t1, t3 - t2);
  printf("peak_rss_kib=%ld\n", peak_rss_kib());
  double t4 = now();
  slurm_free_job_info_msg(jobs);
  printf("free_jobs_seconds=%.6f\n", now() - t4);
  slurm_free_partition_info_msg(parts);
  slurm_free_node_info_msg(nodes);
  slurm_fini();
  return 0;
}
