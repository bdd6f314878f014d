package store

// LongAppointment is longAppointment, for TestLongAppointmentIndexed.
const LongAppointment = longAppointment
