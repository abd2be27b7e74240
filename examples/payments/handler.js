'use strict';

// processPayment receives a payment from the "payments" topic. Payments over
// 1000 (or not positive) are declined on purpose, so the example shows both
// destinations: the success record goes to paymentsNotification, the failure
// record to paymentsDLQ.
exports.processPayment = async (event) => {
  const payment = JSON.parse(event.Records[0].Sns.Message);
  console.log('processing payment', payment.id, 'of', payment.amount);
  if (!(payment.amount > 0) || payment.amount > 1000) {
    const err = new Error(`payment ${payment.id} declined: amount ${payment.amount} is outside 1-1000`);
    err.name = 'PaymentDeclined';
    throw err;
  }
  return { id: payment.id, amount: payment.amount, status: 'paid', paidAt: new Date().toISOString() };
};

// notifyCustomer reads the success record out of the queue message.
exports.notifyCustomer = async (event) => {
  for (const record of event.Records) {
    const invocation = JSON.parse(record.body);
    const receipt = invocation.responsePayload;
    console.log(`notifying customer: payment ${receipt.id} of ${receipt.amount} is ${receipt.status}`);
  }
};

// notifyPaymentsTeam reads the failure record out of the dead-letter queue.
exports.notifyPaymentsTeam = async (event) => {
  for (const record of event.Records) {
    const invocation = JSON.parse(record.body);
    const payment = JSON.parse(invocation.requestPayload.Records[0].Sns.Message);
    const { condition } = invocation.requestContext;
    // EventAgeExceeded records have no response: the function never ran.
    const reason = invocation.responsePayload ? invocation.responsePayload.errorMessage : 'the event expired before it could run';
    console.log(`alerting payments team: payment ${payment.id} failed (${condition}): ${reason}`);
  }
};
