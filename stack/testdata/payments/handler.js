exports.processPayment = async (event) => ({ ok: true, records: event.Records.length });
exports.notifyCustomer = async () => {};
exports.notifyPaymentsTeam = async () => {};
