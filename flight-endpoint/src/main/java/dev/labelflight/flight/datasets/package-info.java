/**
 * The caller's datasets: ListFlights (every version, on every node), GetFlightInfo
 * {@code ["datasets", NAME(, VERSION)]}, the download ticket {@code dataset/NAME@VERSION}, and the
 * DoActions {@code drop_dataset} and {@code derive}.
 */
package dev.labelflight.flight.datasets;
