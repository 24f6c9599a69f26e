"""Game day: rehearse regional outages on the local emulator, on a simulated clock, with a timeline and a report."""
