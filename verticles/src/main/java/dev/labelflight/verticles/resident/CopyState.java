package dev.labelflight.verticles.resident;

/** Whether this node has a resident copy of a dataset version: none, one on its way (admitted or loading), or ready. */
public enum CopyState { NONE, LOADING, READY }
