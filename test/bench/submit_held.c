/* Submits N held batch jobs round-robin over the given partitions through
 * slurm_submit_batch_job (much faster than forking sbatch), for scale benchmarks.
 * usage: submit_held N PARTITION[,PARTITION...] */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: submit_held N PARTITION[,PARTITION...]\n");
    return 2;
  }
  long n = atol(argv[1]);
  char* parts[64];
  int np = 0;
  for (char* p = strtok(argv[2], ","); p && np < 64; p = strtok(NULL, ",")) parts[np++] = p;
  slurm_init(NULL);
  char* env[] = {"PATH=/bin:/usr/bin", NULL};
  long ok = 0;
  for (long i = 0; i < n; ++i) {
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.name = "bench";
    d.script = "#!/bin/sh\ntrue\n";
    d.partition = parts[i % np];
    d.priority = 0; /* held */
    d.user_id = getuid();
    d.group_id = getgid();
    d.work_dir = "/tmp";
    d.min_cpus = 1;
    d.min_nodes = 1;
    d.environment = env;
    d.env_size = 1;
    d.std_out = "/dev/null";
    submit_response_msg_t* r = NULL;
    if (slurm_submit_batch_job(&d, &r) == SLURM_SUCCESS) {
      ++ok;
      slurm_free_submit_response_response_msg(r);
    } else if (i - ok > 100) {
      slurm_perror("slurm_submit_batch_job");
      return 1;
    }
  }
  printf("submitted=%ld\n", ok);
  slurm_fini();
  return 0;
}
