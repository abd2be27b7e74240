'use strict';

// The functions at the other end: each logs the order it got.

exports.fulfil = async (event) => {
  for (const record of event.Records) {
    console.log('fulfil: order', JSON.parse(record.body).id, 'from the queue');
  }
};

exports.notify = async (event) => {
  for (const record of event.Records) {
    console.log('notify: order', JSON.parse(record.Sns.Message).id, 'from the topic');
  }
};

exports.analytics = async (event) => {
  console.log('analytics: order', event.detail.id, 'from the bus,', event['detail-type']);
};

exports.audit = async (order) => {
  console.log('audit: order', order.id, 'by async invoke');
};
