/** DoActions about jobs: {@code apply} (start one), {@code job_status}, {@code cancel}; served on the job's node. */
package dev.labelflight.flight.jobs;
